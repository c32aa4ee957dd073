package io.nbsecrets.api;

import io.nbsecrets.http.Exchange;
import io.nbsecrets.http.Route;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code POST /api/v1/init/user-key}: a session pod's init container presents its projected
 * service-account token and gets the key of the user whose session the pod runs. Every refusal is
 * the same 403, so a caller learns nothing about why.
 */
record InitRoute(
    ApiConfig config, Callers callers, SessionPodResolver podResolver, UserKeyService userKeys) {
  private static final Logger log = LoggerFactory.getLogger(ApiServer.class);

  Route route() {
    return new Route(ApiServer.ROUTE_INIT_USER_KEY, List.of("POST"), false, true, this::userKey);
  }

  private void userKey(Exchange exchange, String unused) {
    String token = Callers.bearer(exchange);
    String audience = config.podTokenAudience();
    String refusal =
        "this endpoint accepts only the projected service-account token (audience "
            + audience
            + ") of a notebook session's pod";
    Optional<Identity> identity = callers.verify(exchange, token, List.of(audience)).identity();
    if (identity.isEmpty()) {
      log.warn("user-key request refused: the token is not valid for audience {}", audience);
      throw new ApiException(403, "forbidden", refusal);
    }
    exchange.user(identity.get().username());
    if (podResolver == null) {
      log.warn("user-key request of {} refused: no pod resolver configured", exchange.user());
      throw new ApiException(403, "forbidden", refusal);
    }
    SessionPodResolver.Resolution resolution = podResolver.resolve(identity.get());
    if (!(resolution instanceof SessionPodResolver.Resolved resolved)) {
      throw new ApiException(403, "forbidden", refusal);
    }
    String key = userKeys.getOrCreate(resolved.user());
    exchange.user(resolved.user());
    log.info(
        "user key of {} issued to pod {}/{} of NotebookSession {}",
        resolved.user(),
        resolved.namespace(),
        resolved.pod(),
        resolved.session());
    Map<String, String> body = new LinkedHashMap<>();
    body.put("user", resolved.user());
    body.put("key", key);
    exchange.json(200, body);
  }
}
