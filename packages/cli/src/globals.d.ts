/** Replaced by tsup (`define`) with the package version at build time; absent under tsx/vitest. */
declare const __LATCH_VERSION__: string | undefined;
