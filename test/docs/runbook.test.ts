import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import type { Command } from 'commander';
import { STAGE_CHOICES } from '../../scripts/tradeops/cli-support';
import { buildProgram } from '../../scripts/tradeops/main';
import { buildStage } from '../infra/synth';

const RUNBOOK = readFileSync(path.join(__dirname, '../../docs/RUNBOOK.md'), 'utf8');

/** GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens. */
const slug = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9 -]/g, '')
    .replace(/ /g, '-');

const anchors = new Set([...RUNBOOK.matchAll(/^#{1,6} (.+)$/gm)].map((m) => slug(m[1] as string)));

/** Shell words of one command line: quotes group, backslash-newline joins. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

/** Every `npx tradeops ...` command in the runbook's code blocks and inline code. */
function tradeopsCommands(): string[][] {
  const blocks = [...RUNBOOK.matchAll(/```(?:sh)?\n([\s\S]*?)```/g)].map((m) => m[1] as string);
  const inline = [...RUNBOOK.matchAll(/`(npx tradeops [^`]+)`/g)].map((m) => m[1] as string);
  return (
    [...blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n')), ...inline]
      .map((line) => line.replace(/\s+#.*$/, '').trim())
      // `npx tradeops ...` in prose stands for any command.
      .filter((line) => line.startsWith('npx tradeops ') && line !== 'npx tradeops ...')
      .map((line) => words(line).slice(2))
  );
}

describe('docs/RUNBOOK.md', () => {
  it('has the heading every alarm and event links to, and every link inside it resolves', () => {
    const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
    const templates = Object.values(stacks).map((s) =>
      JSON.stringify(Template.fromStack(s).toJSON()),
    );
    const linked = new Set(
      templates.flatMap((t) => [...t.matchAll(/docs\/RUNBOOK\.md#([a-z0-9-]+)/g)].map((m) => m[1])),
    );
    expect(linked.size).toBeGreaterThan(25);
    const internal = [...RUNBOOK.matchAll(/\]\(#([a-z0-9-]+)\)/g)].map((m) => m[1]);
    const missing = [...linked, ...internal].filter((a) => !anchors.has(a as string));
    expect(missing).toEqual([]);
  });

  it('gives every alarm of every stack a severity and a runbook link', () => {
    const { stacks } = buildStage({ stage: 'prod', account: '123456789012' });
    for (const stack of Object.values(stacks)) {
      const template = Template.fromStack(stack);
      for (const type of ['AWS::CloudWatch::Alarm', 'AWS::CloudWatch::CompositeAlarm']) {
        for (const r of Object.values(template.findResources(type))) {
          const description = r.Properties.AlarmDescription as string;
          expect([
            r.Properties.AlarmName,
            /docs\/RUNBOOK\.md#[a-z0-9-]+/.test(description),
          ]).toEqual([r.Properties.AlarmName, true]);
        }
      }
    }
  });

  it('uses only tradeops commands and options that exist, on real stages', () => {
    const commands = tradeopsCommands();
    expect(commands.length).toBeGreaterThan(30);
    expect(commands.flatMap(problemsOf)).toEqual([]);
    // The check itself catches what it should.
    expect(problemsOf(['kil', 'prod'])).toEqual(['tradeops kil prod: no such command']);
    expect(problemsOf(['kill', 'prod', '--now'])).toEqual([
      'tradeops kill prod --now: no option --now',
    ]);
    expect(problemsOf(['halt', 'production'])).toEqual([
      'tradeops halt production: "production" is not a stage',
    ]);
    expect(problemsOf(['checklist', 'noon', 'prod'])).toHaveLength(1);
    expect(problemsOf(['flag', 'set', 'prod', 'off'])).toEqual([
      'tradeops flag set prod off: "off" is not one of true, false',
    ]);
  });
});

const program = buildProgram({ out: () => {}, err: () => {}, stdin: process.stdin }, () => {});

/** What is wrong with `tradeops <argv>`: unknown command or option, a stage that is not one. */
function problemsOf(argv: readonly string[]): string[] {
  let command: Command = program;
  const rest = [...argv];
  // Walk down the subcommands (`audit verify`).
  for (;;) {
    const next = command.commands.find((c) => c.name() === rest[0]);
    if (!next) break;
    command = next;
    rest.shift();
  }
  const line = `tradeops ${argv.join(' ')}`;
  if (command === program) return [`${line}: no such command`];
  const problems: string[] = [];
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i += 1) {
    const word = rest[i] as string;
    if (!word.startsWith('--')) {
      positional.push(word);
      continue;
    }
    const option = command.options.find((o) => o.long === word);
    if (!option) problems.push(`${line}: no option ${word}`);
    // Skip the value of an option that takes one.
    else if (option.required || option.optional) i += 1;
  }
  // Arguments by position: the stage where the command declares it (`checklist <name> <stage>`,
  // `flag set <stage> <value>`), and any other argument with choices.
  command.registeredArguments.forEach((argument, i) => {
    const word = positional[i];
    if (argument.name() === 'stage') {
      if (!STAGE_CHOICES.includes(word as (typeof STAGE_CHOICES)[number]))
        problems.push(`${line}: "${word}" is not a stage`);
    } else if (argument.argChoices && !argument.argChoices.includes(word as string))
      problems.push(`${line}: "${word}" is not one of ${argument.argChoices.join(', ')}`);
  });
  return problems;
}
