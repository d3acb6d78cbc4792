/**
 * Test helper (not exported from index.ts): the strict fake kube-apiserver, kept at this path for
 * the tests that import it. It lives in ./fake/ (one module per job: objects and watches,
 * controllers and deletes, validation, exec).
 */
export * from './fake/index.ts';
