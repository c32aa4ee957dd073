package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.nbsecrets.model.NotebookSession;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the operator does with an object of a session's name that it finds: it uses only what the
 * session controls. An object an earlier session of the same name left (deleted and made again
 * before the garbage collector got there) is waited for until the collector removed it (a Secret,
 * which the operator may delete, is deleted at once): adopted, its Secret would be collected under
 * it, or its StatefulSet would mount one that is. Anything else is someone else's and is never
 * used, changed or deleted: {@link Reason#NAME_TAKEN}.
 */
final class Adoption {
  private static final Logger LOG = LoggerFactory.getLogger(Adoption.class);

  private Adoption() {}

  /** {@code found} when the session controls it (or null when there is none); else a failure. */
  static <R extends HasMetadata> R ours(NotebookSession session, R found) throws SessionFailure {
    if (found == null || Owners.isControlledBy(found, session.getMetadata().getUid())) {
      return found;
    }
    String what = found.getKind() + " " + found.getMetadata().getName();
    if (Owners.isLeftByEarlier(found, session)) {
      // The garbage collector removes it (its owner is gone); the operator may not delete
      // StatefulSets or Services (the chart's RBAC), and need not.
      throw failure(
          Reason.EARLIER_SESSION_LEFTOVERS,
          what
              + " was left by an earlier session of this name and is being removed by the"
              + " garbage collector; the session starts once it is gone");
    }
    throw taken(what);
  }

  /**
   * How many owner references of a Secret are looked at, each with its own question: the API server
   * lets an object have any number, and the session's need not be the first (another controller's
   * tool may have put its own before it). Kubernetes' own garbage collector adds none.
   */
  static final int OWNER_REFERENCES_ASKED = 8;

  /**
   * After a 409 on creating the session's Secret: returns the index of the session's controller
   * reference when the Secret of that name is the session's; deletes it when an earlier session of
   * this name left it, and fails until it is gone; fails with {@link Reason#NAME_TAKEN} when it is
   * someone else's. The operator may not read Secrets (RBAC): it asks with JSON Patches of {@code
   * test} operations only, which change nothing and which the API server refuses (422) when a test
   * fails, one owner reference at a time (the first {@value #OWNER_REFERENCES_ASKED}).
   */
  static int requireOwnSecret(KubernetesClient client, NotebookSession session, Secret desired)
      throws SessionFailure {
    String what = "Secret " + desired.getMetadata().getName();
    String uid = session.getMetadata().getUid();
    for (int i = 0; i < OWNER_REFERENCES_ASKED; i++) {
      if (passes(client, desired, testController(uid, i))) {
        return i;
      }
    }
    for (int i = 0; i < OWNER_REFERENCES_ASKED; i++) {
      String owner = "/metadata/ownerReferences/" + i + "/";
      boolean earlier =
          passes(
              client,
              desired,
              List.of(
                  test(owner + "controller", true),
                  test(owner + "apiVersion", NotebookSession.API_VERSION),
                  test(owner + "kind", NotebookSession.KIND),
                  test(owner + "name", session.getMetadata().getName())));
      if (earlier) {
        client
            .secrets()
            .inNamespace(desired.getMetadata().getNamespace())
            .withName(desired.getMetadata().getName())
            .delete();
        LOG.info("deleted {}, left by an earlier session of this name", what);
        throw failure(
            Reason.EARLIER_SESSION_LEFTOVERS,
            what
                + " was left by an earlier session of this name and is being deleted; the"
                + " session starts once it is gone");
      }
    }
    throw taken(what);
  }

  /**
   * JSON Patch tests that the object's owner reference at {@code index} is the controller reference
   * of the session with {@code uid}.
   */
  static List<Map<String, Object>> testController(String uid, int index) {
    String owner = "/metadata/ownerReferences/" + index + "/";
    return List.of(test(owner + "uid", uid), test(owner + "controller", true));
  }

  private static Map<String, Object> test(String path, Object value) {
    return Map.of("op", "test", "path", path, "value", value);
  }

  private static boolean passes(
      KubernetesClient client, Secret desired, List<Map<String, Object>> tests)
      throws SessionFailure {
    try {
      client.resource(desired).patch(PatchContext.of(PatchType.JSON), Serialization.asJson(tests));
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == 422) {
        return false;
      }
      if (e.getCode() == 404) {
        throw gone("Secret " + desired.getMetadata().getName());
      }
      throw e;
    }
  }

  /**
   * The object that stood in the way of the session's own went away between the create and the
   * question (the garbage collector removing what an earlier session left): the next pass makes the
   * session's own.
   */
  static SessionFailure gone(String what) {
    return failure(
        Reason.EARLIER_SESSION_LEFTOVERS,
        what
            + " was there when the session's own was made, and is gone now (an earlier session's,"
            + " collected); the session's own is made on the next pass");
  }

  static SessionFailure taken(String what) {
    return failure(
        Reason.NAME_TAKEN,
        what + " exists and does not belong to this session: delete it or rename the session");
  }

  private static SessionFailure failure(Reason reason, String message) {
    return new SessionFailure(SessionFailure.Scope.WORKLOAD, reason, message);
  }
}
