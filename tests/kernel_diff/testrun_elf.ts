import type { TestRunCase } from "./testrun_case.ts";
/** Cases of clang-built objects (to come). */
export function elfCases(): TestRunCase[] {
  return [];
}
