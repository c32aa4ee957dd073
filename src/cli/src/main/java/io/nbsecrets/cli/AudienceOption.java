package io.nbsecrets.cli;

import picocli.CommandLine.Option;

/**
 * The audience of session pods' projected tokens, one setting ({@code api.podTokenAudience}) for
 * the operator (which asks the kubelet for it) and the API (which requires it).
 */
final class AudienceOption {
  @Option(
      names = "--pod-token-audience",
      descriptionKey = "api.podTokenAudience",
      description =
          "Audience of the session pods' projected tokens, the same for the operator and the API"
              + " (setting api.podTokenAudience). Default: ${DEFAULT-VALUE}.")
  String podTokenAudience;
}
