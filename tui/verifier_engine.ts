/**
 * Adapts core/verifier's stepping engine to the TUI's {@link StepEngine}.
 * The verifier module is imported lazily, once, by {@link loadVerifier}; the
 * returned maker is synchronous so the UI can open gallery entries at once.
 *
 * @module
 */
import type { Program } from "../core/isa/mod.ts";
import type { EngineFactory } from "./engine.ts";

/** A program, or a function building it for a profile (gallery entries differ per profile). */
export type ProgramSource = Program | ((profile: string) => Program);

/** Makes an engine factory for a program. */
export type EngineMaker = (src: ProgramSource) => EngineFactory;

/** The program of a source for a profile. */
export function programFor(src: ProgramSource, profile: string): Program {
  return typeof src === "function" ? src(profile) : src;
}

/**
 * Load core/verifier and return a maker of engine factories.
 * @throws Error naming what is missing when core/verifier has no stepping engine.
 */
export async function loadVerifier(): Promise<EngineMaker> {
  const path = "../core/verifier/mod.ts";
  let mod: Record<string, unknown>;
  try {
    mod = await import(path);
  } catch (e) {
    throw new Error(`the verifier (core/verifier) is not available: ${(e as Error).message.split("\n")[0]}`);
  }
  void mod;
  throw new Error("core/verifier has no stepping engine the TUI knows yet");
}
