package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kubernetes Events about sessions, with a typed {@link Reason} (the closed list docs and alerts
 * key on). Messages name secrets and users, never values.
 */
public final class SessionEvents {
  private static final Logger LOG = LoggerFactory.getLogger(SessionEvents.class);
  public static final String COMPONENT = "nbsecrets-operator";

  private final KubernetesClient client;

  public SessionEvents(KubernetesClient client) {
    this.client = client;
  }

  /**
   * {@code names} joined by ", ", cut after about {@code maxChars} with "and N more": an Event
   * about 1,000 secrets of 128 characters stays readable (and far below what an object may hold).
   */
  static String joinNames(java.util.List<String> names, int maxChars) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < names.size(); i++) {
      String next = (i == 0 ? "" : ", ") + names.get(i);
      if (i > 0 && b.length() + next.length() > maxChars) {
        return b.append(" and ")
            .append(io.nbsecrets.util.Counts.of(names.size() - i, "more", "more"))
            .toString();
      }
      b.append(next);
    }
    return b.toString();
  }

  /** Records that something went as it should ({@code type: Normal}). */
  public void normal(NotebookSession session, Reason reason, String message) {
    publish(session, "Normal", reason, message);
  }

  /** Records a failure that someone may need to act on ({@code type: Warning}). */
  public void warning(NotebookSession session, Reason reason, String message) {
    publish(session, "Warning", reason, message);
  }

  private void publish(NotebookSession session, String type, Reason reason, String message) {
    String now = Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
    String suffix = HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    try {
      client
          .v1()
          .events()
          .inNamespace(session.getMetadata().getNamespace())
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(session.getMetadata().getName() + "." + suffix)
                  .withNamespace(session.getMetadata().getNamespace())
                  .endMetadata()
                  .withNewInvolvedObject()
                  .withApiVersion(NotebookSession.API_VERSION)
                  .withKind(NotebookSession.KIND)
                  .withName(session.getMetadata().getName())
                  .withNamespace(session.getMetadata().getNamespace())
                  .withUid(session.getMetadata().getUid())
                  .withResourceVersion(session.getMetadata().getResourceVersion())
                  .endInvolvedObject()
                  .withType(type)
                  .withReason(reason.value())
                  .withMessage(message)
                  .withCount(1)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withNewSource()
                  .withComponent(COMPONENT)
                  .endSource()
                  .withReportingComponent(COMPONENT)
                  .build())
          .create();
    } catch (KubernetesClientException e) {
      // An event is best effort: the condition carries the same information.
      LOG.warn(
          "could not record event {} for session {}/{}: {}",
          reason,
          session.getMetadata().getNamespace(),
          session.getMetadata().getName(),
          e.getMessage());
    }
  }
}
