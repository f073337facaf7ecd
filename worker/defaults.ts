/** The seed of the embedded demo corpus that `npm start` and `--source demo` build from. */
export const DEMO_SEED = 20181002;
