// The builder lives in src/ because the CLI and the demo load build the same orders.
export { placeRequest } from '../../src/load/demo-orders.js';
