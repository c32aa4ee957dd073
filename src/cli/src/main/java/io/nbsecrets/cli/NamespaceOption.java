package io.nbsecrets.cli;

import picocli.CommandLine.Option;

/**
 * The release's namespace (key Secrets, store records of the kubernetes store by default, lease):
 * the pod's own, from {@code POD_NAMESPACE}. Not a setting: the chart does not choose it.
 */
final class NamespaceOption {
  @Option(
      names = "--namespace",
      defaultValue = "${env:POD_NAMESPACE:-nbsecrets}",
      description =
          "The release's namespace (key Secrets, store records, lease). Default: ${DEFAULT-VALUE}.")
  String namespace;
}
