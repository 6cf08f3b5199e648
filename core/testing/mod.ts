/**
 * The testing API for script authors (pure part): {@link BpfObject} loads an
 * object's programs and maps from bytes, runs programs with packets as
 * `BPF_PROG_TEST_RUN` would, and reads or changes maps ({@link TestMap}).
 * `load(path)` (cli/testing.ts, which reads files) builds one from a file.
 *
 * @module
 */
export * from "./object.ts";
