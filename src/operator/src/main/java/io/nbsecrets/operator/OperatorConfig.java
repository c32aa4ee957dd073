package io.nbsecrets.operator;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * How the operator builds session workloads.
 *
 * @param apiUrl where init containers reach the secrets API
 * @param initImage image of the init container (the operator's own image)
 * @param podTokenAudience audience of the projected token the init container presents
 * @param sessionUid user id the session pod runs as (the init container writes files as it)
 * @param sessionGid group id and fsGroup of the session pod
 * @param apiCaBundle the CA certificates (PEM) init containers verify the API against, as the API
 *     publishes them now; empty: the JDK's trusted CAs
 * @param apiCaRequired whether an empty bundle means "not published yet" (the API makes its own CA)
 *     rather than "trust the JDK's CAs" (a public certificate)
 * @param insecureApiHttp whether init containers may call an {@code http://} API (development)
 */
public record OperatorConfig(
    String apiUrl,
    String initImage,
    String podTokenAudience,
    long sessionUid,
    long sessionGid,
    Supplier<String> apiCaBundle,
    boolean apiCaRequired,
    boolean insecureApiHttp) {

  public static final int DEFAULT_PORT = 8888;
  public static final String DEFAULT_AUDIENCE = "nbsecrets";

  public OperatorConfig {
    Objects.requireNonNull(apiUrl, "apiUrl");
    Objects.requireNonNull(initImage, "initImage");
    Objects.requireNonNull(podTokenAudience, "podTokenAudience");
    Objects.requireNonNull(apiCaBundle, "apiCaBundle");
    boolean http = apiUrl.regionMatches(true, 0, "http://", 0, 7);
    if (http && !insecureApiHttp) {
      throw new IllegalArgumentException(
          "--api-url "
              + apiUrl
              + " is plain HTTP: the user key would travel in clear to every init container; use"
              + " the API's https:// URL (the chart's default), or pass --insecure-api-http in"
              + " development");
    }
    if (!http && !apiUrl.regionMatches(true, 0, "https://", 0, 8)) {
      throw new IllegalArgumentException("--api-url must begin with https:// , not: " + apiUrl);
    }
  }

  /** A development configuration: plain HTTP to the API. */
  public static OperatorConfig insecure(
      String apiUrl, String initImage, String podTokenAudience, long sessionUid, long sessionGid) {
    return new OperatorConfig(
        apiUrl, initImage, podTokenAudience, sessionUid, sessionGid, () -> "", false, true);
  }

  /** Whether the API is reached over plain HTTP. */
  public boolean plainHttp() {
    return apiUrl.regionMatches(true, 0, "http://", 0, 7);
  }

  /**
   * The CA bundle for init containers now; fails the session (retried) while the API has not
   * published its own CA yet, rather than start pods that cannot verify it.
   */
  public String apiCaForInit() throws SessionFailure {
    String bundle = plainHttp() ? "" : apiCaBundle.get();
    if (bundle == null || bundle.isBlank()) {
      if (apiCaRequired && !plainHttp()) {
        throw new SessionFailure(
            SessionFailure.Scope.WORKLOAD,
            Reason.API_CA_BUNDLE_MISSING,
            "the secrets API has not published its CA bundle yet (ConfigMap "
                + io.nbsecrets.tls.ServerTls.CA_CONFIGMAP
                + " in the operator's namespace); is the API running?");
      }
      return "";
    }
    return bundle;
  }
}
