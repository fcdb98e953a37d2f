// Package e2e holds end-to-end tests: the real Terraform CLI runs the built
// provider binary (through dev_overrides) against the in-process API
// emulator. They check what in-process provider factories cannot: the CLI's
// output and warnings, its full TRACE log, and signals. They run only with
// TF_ACC set, like the acceptance tests.
package e2e
