// Two cores run PostgreSQL, spawned services, Chromium and jest together: a test that fails once
// is run again, and its first failure is printed, so a flaky test is seen and fixed rather than
// hidden or left to sink a whole run. A test that fails twice fails the run.
jest.retryTimes(1, { logErrorsBeforeRetry: true });
