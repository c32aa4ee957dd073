package io.nbsecrets.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail: one JSON object per line on the logger {@value #LOGGER} (the jar's logging
 * configuration writes it to standard output, apart from the diagnostic log on standard error), for
 * every secret created, replaced or deleted through the API and every secret delivered to a session
 * by a snapshot. Each line names who, what, which version, when and from where; never a value, a
 * key or a token.
 *
 * <pre>{"time":"2026-12-01T05:00:00Z","event":"secret.replaced","user":"alice","name":"TOKEN",
 * "version":2,"client":"10.0.3.7","forwardedFor":"203.0.113.9"}</pre>
 */
public final class Audit {
  /** The logger of the audit trail. */
  public static final String LOGGER = "io.nbsecrets.audit";

  private static final Logger LOG = LoggerFactory.getLogger(LOGGER);
  private static final ObjectMapper JSON = new ObjectMapper();

  /** What happened. */
  public enum Event {
    CREATED("secret.created"),
    REPLACED("secret.replaced"),
    DELETED("secret.deleted"),
    DELIVERED("secret.delivered");

    private final String code;

    Event(String code) {
      this.code = code;
    }

    public String code() {
      return code;
    }
  }

  private final Clock clock;

  public Audit(Clock clock) {
    this.clock = clock;
  }

  public static Audit systemClock() {
    return new Audit(Clock.systemUTC());
  }

  /**
   * A change through the API.
   *
   * @param client the connection's peer address
   * @param forwardedFor the {@code X-Forwarded-For} header as sent (set by a proxy; not verified)
   */
  public void change(
      Event event, String user, String name, Long version, String client, String forwardedFor) {
    Map<String, Object> line = line(event, user, name, version);
    line.put("client", client);
    if (forwardedFor != null && !forwardedFor.isBlank()) {
      line.put(
          "forwardedFor",
          forwardedFor.length() > 256 ? forwardedFor.substring(0, 256) : forwardedFor);
    }
    write(line);
  }

  /** The time audit lines are stamped with (so usage and the trail agree). */
  public Instant now() {
    return clock.instant();
  }

  /** A secret's version delivered to a session (a new snapshot of it). */
  public void delivered(String user, String name, long version, String session) {
    Map<String, Object> line = line(Event.DELIVERED, user, name, version);
    line.put("session", session);
    write(line);
  }

  private Map<String, Object> line(Event event, String user, String name, Long version) {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("time", clock.instant().toString());
    line.put("event", event.code());
    line.put("user", user);
    line.put("name", name);
    if (version != null) {
      line.put("version", version);
    }
    return line;
  }

  private static void write(Map<String, Object> line) {
    try {
      LOG.info(JSON.writeValueAsString(line));
    } catch (JsonProcessingException e) {
      LOG.error("{\"event\":\"audit.failed\",\"reason\":\"{}\"}", e.getClass().getSimpleName());
    }
  }
}
