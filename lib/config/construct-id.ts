/** A construct id from a kebab-case name: `morning-checklist` -> `MorningChecklist`. */
export function constructId(kebab: string): string {
  return kebab.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}
