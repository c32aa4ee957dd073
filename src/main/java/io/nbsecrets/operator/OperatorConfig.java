package io.nbsecrets.operator;

import java.util.Objects;

/**
 * How the operator builds session workloads.
 *
 * @param apiUrl where init containers reach the secrets API
 * @param initImage image of the init container (the operator's own image)
 * @param podTokenAudience audience of the projected token the init container presents
 * @param sessionUid user id the session pod runs as (the init container writes files as it)
 * @param sessionGid group id and fsGroup of the session pod
 */
public record OperatorConfig(
    String apiUrl, String initImage, String podTokenAudience, long sessionUid, long sessionGid) {

  public static final int DEFAULT_PORT = 8888;
  public static final String DEFAULT_AUDIENCE = "nbsecrets";

  public OperatorConfig {
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(initImage, "initImage");
    Objects.requireNonNull(podTokenAudience, "podTokenAudience");
  }
}
