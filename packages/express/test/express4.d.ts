// Express 4.22 is installed under the alias `express4` for the compatibility tests; its API
// is the subset of Express 5's that these tests use.
declare module 'express4' {
  import express from 'express';
  export default express;
}
