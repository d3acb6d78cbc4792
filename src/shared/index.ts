/** @module shared: the few pieces every layer may import (errors). */
export { BerthError, toBerthError, type BerthErrorOptions } from './errors.ts';
