/** Types of fresh-dist.mjs, for the TypeScript that imports it (tests, bench/cli). */
export interface DistBuild {
  builtAt: number;
  entry: string;
  inputs: string[];
}
export function freshDist(root: URL): DistBuild | undefined;
