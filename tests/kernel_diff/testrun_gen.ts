import type { TestRunCase } from "./testrun_case.ts";
/** Generated cases (to come). */
export function generateCases(_count: number, _seed: number): TestRunCase[] {
  return [];
}
