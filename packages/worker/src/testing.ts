/**
 * Test support for operators (`@weir/worker/testing`): an OperatorContext
 * that drives one operator outside a slot thread, for connectors' unit tests.
 *
 * @packageDocumentation
 */
export { testOperatorContext, type TestOperatorContextOptions } from './testing/operator-context.ts';
