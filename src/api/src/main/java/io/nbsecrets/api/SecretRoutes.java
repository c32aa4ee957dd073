package io.nbsecrets.api;

import io.nbsecrets.audit.Audit;
import io.nbsecrets.http.Exchange;
import io.nbsecrets.http.Route;
import io.nbsecrets.model.SecretNames;
import io.nbsecrets.store.PutResult;
import io.nbsecrets.store.SecretMetadata;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The user's own secrets: list, and get (metadata), put and delete one. Values go in only. */
final class SecretRoutes {
  private final SecretService secrets;
  private final SessionUsage sessions;
  private final Callers callers;
  private final Audit audit;

  SecretRoutes(SecretService secrets, SessionUsage sessions, Callers callers, Audit audit) {
    this.secrets = secrets;
    this.sessions = sessions;
    this.callers = callers;
    this.audit = audit;
  }

  List<Route> routes() {
    return List.of(
        Route.get(ApiServer.ROUTE_SECRETS, true, this::list),
        new Route(ApiServer.ROUTE_SECRET, List.of("GET", "PUT", "DELETE"), true, true, this::one));
  }

  private void list(Exchange exchange, String unused) {
    String user = callers.user(exchange);
    List<SecretMetadata> items = secrets.list(user);
    Map<String, Instant> lastUsed = items.isEmpty() ? Map.of() : secrets.lastUsed(user);
    Optional<List<SessionUsage.Use>> uses = sessions.uses(user);
    exchange.json(
        200, Map.of("items", items.stream().map(m -> SecretView.of(m, lastUsed, uses)).toList()));
  }

  private void one(Exchange exchange, String rawName) {
    String user = callers.user(exchange);
    String name = SecretValues.percentDecode(rawName);
    switch (exchange.method()) {
      case "GET" -> {
        SecretMetadata metadata = secrets.get(user, name).orElseThrow(() -> notFound(name));
        exchange.json(200, SecretView.of(metadata, secrets.lastUsed(user), sessions.uses(user)));
      }
      case "DELETE" -> {
        if (!secrets.delete(user, name)) {
          throw notFound(name);
        }
        audit(exchange, Audit.Event.DELETED, user, name, null);
        exchange.json(204, null);
      }
      default -> put(exchange, user, name);
    }
  }

  private void put(Exchange exchange, String user, String name) {
    SecretNames.problem(name)
        .ifPresent(
            problem -> {
              throw ApiException.badRequest("invalid_name", problem);
            });
    byte[] value = SecretValues.parse(exchange.body());
    PutResult result;
    try {
      result = secrets.put(user, name, value);
    } finally {
      Arrays.fill(value, (byte) 0);
    }
    audit(
        exchange,
        result.created() ? Audit.Event.CREATED : Audit.Event.REPLACED,
        user,
        name,
        result.metadata().version());
    exchange.json(
        result.created() ? 201 : 200,
        result.metadata(),
        result.created() ? Map.of("Location", ApiServer.ROUTE_SECRETS + "/" + name) : Map.of());
  }

  private void audit(Exchange exchange, Audit.Event event, String user, String name, Long version) {
    audit.change(
        event, user, name, version, exchange.remoteAddress(), exchange.header("X-Forwarded-For"));
  }

  private static ApiException notFound(String name) {
    return new ApiException(404, "not_found", "no secret named " + name);
  }
}
