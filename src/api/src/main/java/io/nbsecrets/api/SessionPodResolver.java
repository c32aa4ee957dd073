package io.nbsecrets.api;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.ObjectKeys;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides whose user key a session pod may have, from the identity in its projected service-account
 * token.
 *
 * <p>The chain, every link read from the API server: the token's pod ({@code extra} pod-name and
 * pod-uid, namespace from the user name {@code system:serviceaccount:<ns>:<sa>}) exists with that
 * uid and runs as that service account; its controller is a StatefulSet (matched by uid); the
 * StatefulSet's controller is a {@code NotebookSession} (matched by uid); the session's namespace
 * carries the annotation {@code nbsecrets.io/user} equal to the session's {@code spec.user}; and
 * the pod's service account is the session's ({@code spec.serviceAccountName}, or {@code default}).
 * Only then is the pod given {@code spec.user}'s key.
 *
 * <p><b>What remains trusted.</b> The namespace is the isolation boundary. Anyone who can create
 * pods (or StatefulSets, or NotebookSessions) in a namespace bound to a user can build this chain
 * and so obtain that user's key, and with it the once-encrypted values the operator writes there.
 * Admins must therefore grant such rights in a user's namespace only to that user and to the
 * platform (operator, launcher). The annotation must be settable only by admins (it is on the
 * Namespace object, which users normally cannot edit). The API server itself, the kubelet (which
 * mints pod tokens) and the service-account token signing key are trusted as well.
 *
 * <p>Every link is read afresh but the namespace, which is reused for {@link #NAMESPACE_TTL} (the
 * pod's token is reviewed afresh, or from a review at most as old).
 *
 * <p>Needs {@code get} on pods, statefulsets, notebooksessions and namespaces. Failures to talk to
 * the API server raise {@link AuthenticationUnavailableException} (503); every mismatch is a {@link
 * Refused} with a reason that is logged (never with the token).
 */
public final class SessionPodResolver {
  public static final String USER_ANNOTATION = ObjectKeys.NAMESPACE_USER;
  public static final String POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";
  public static final String POD_UID_EXTRA = "authentication.kubernetes.io/pod-uid";
  public static final String SERVICE_ACCOUNT_PREFIX = "system:serviceaccount:";
  static final String DEFAULT_SERVICE_ACCOUNT = "default";

  private static final Logger log = LoggerFactory.getLogger(SessionPodResolver.class);

  private final KubernetesClient client;

  /** The outcome of {@link #resolve}. */
  public sealed interface Resolution permits Resolved, Refused {}

  /** The pod belongs to session {@code namespace/session} of {@code user}. */
  public record Resolved(String user, String namespace, String session, String pod)
      implements Resolution {}

  /** The pod may not have any user's key, because of {@code reason} (safe to log). */
  public record Refused(String reason) implements Resolution {}

  public SessionPodResolver(KubernetesClient client) {
    this.client = Objects.requireNonNull(client, "client");
  }

  /** Whose key the pod behind {@code identity} may have, or why none. */
  public Resolution resolve(Identity identity) {
    Resolution result = doResolve(identity);
    if (result instanceof Refused refused) {
      log.warn("user-key request of {} refused: {}", identity.username(), refused.reason());
    }
    return result;
  }

  private Resolution doResolve(Identity identity) {
    String username = identity.username();
    if (!username.startsWith(SERVICE_ACCOUNT_PREFIX)) {
      return refuse("the token is not a service-account token");
    }
    String[] parts = username.substring(SERVICE_ACCOUNT_PREFIX.length()).split(":", -1);
    if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
      return refuse("malformed service-account user name");
    }
    String namespace = parts[0];
    String serviceAccount = parts[1];
    Optional<String> podName = identity.singleExtra(POD_NAME_EXTRA);
    Optional<String> podUid = identity.singleExtra(POD_UID_EXTRA);
    if (podName.isEmpty() || podUid.isEmpty()) {
      return refuse("the token is not bound to a pod");
    }
    String where = namespace + "/" + podName.get();

    Pod pod = get(() -> client.pods().inNamespace(namespace).withName(podName.get()).get());
    if (pod == null) {
      return refuse("pod " + where + " does not exist");
    }
    if (!podUid.get().equals(pod.getMetadata().getUid())) {
      return refuse("pod " + where + " is not the pod the token was issued to (uid differs)");
    }
    String podServiceAccount =
        pod.getSpec() == null || pod.getSpec().getServiceAccountName() == null
            ? DEFAULT_SERVICE_ACCOUNT
            : pod.getSpec().getServiceAccountName();
    if (!podServiceAccount.equals(serviceAccount)) {
      return refuse("pod " + where + " does not run as the token's service account");
    }
    Optional<OwnerReference> podOwner = controllerOf(pod);
    if (podOwner.isEmpty()) {
      return refuse("pod " + where + " has no controller");
    }
    if (!"StatefulSet".equals(podOwner.get().getKind())
        || !"apps/v1".equals(podOwner.get().getApiVersion())) {
      return refuse("pod " + where + " is not controlled by a StatefulSet");
    }
    String stsName = podOwner.get().getName();
    StatefulSet sts =
        get(() -> client.apps().statefulSets().inNamespace(namespace).withName(stsName).get());
    if (sts == null || !Objects.equals(sts.getMetadata().getUid(), podOwner.get().getUid())) {
      return refuse(
          "the StatefulSet " + namespace + "/" + stsName + " of pod " + where + " is gone");
    }
    Optional<OwnerReference> stsOwner = controllerOf(sts);
    if (stsOwner.isEmpty()
        || !NotebookSession.KIND.equals(stsOwner.get().getKind())
        || stsOwner.get().getApiVersion() == null
        || !stsOwner.get().getApiVersion().startsWith(NotebookSession.GROUP + "/")) {
      return refuse(
          "the StatefulSet "
              + namespace
              + "/"
              + stsName
              + " is not controlled by a NotebookSession");
    }
    String sessionName = stsOwner.get().getName();
    NotebookSession session =
        get(
            () ->
                client
                    .resources(NotebookSession.class)
                    .inNamespace(namespace)
                    .withName(sessionName)
                    .get());
    if (session == null
        || !Objects.equals(session.getMetadata().getUid(), stsOwner.get().getUid())) {
      return refuse("the NotebookSession " + namespace + "/" + sessionName + " is gone");
    }
    String user = session.getSpec() == null ? null : session.getSpec().getUser();
    if (user == null || user.isEmpty()) {
      return refuse("the NotebookSession " + namespace + "/" + sessionName + " names no user");
    }
    Namespace ns = namespace(namespace);
    String boundUser =
        ns == null || ns.getMetadata().getAnnotations() == null
            ? null
            : ns.getMetadata().getAnnotations().get(USER_ANNOTATION);
    if (boundUser == null) {
      return refuse("namespace " + namespace + " is not bound to a user (" + USER_ANNOTATION + ")");
    }
    if (!boundUser.equals(user)) {
      return refuse(
          "the NotebookSession "
              + namespace
              + "/"
              + sessionName
              + " names user "
              + user
              + " but namespace "
              + namespace
              + " is bound to another user");
    }
    String sessionServiceAccount =
        session.getSpec().getServiceAccountName() == null
            ? DEFAULT_SERVICE_ACCOUNT
            : session.getSpec().getServiceAccountName();
    if (!sessionServiceAccount.equals(serviceAccount)) {
      return refuse(
          "pod "
              + where
              + " does not run as the service account of NotebookSession "
              + namespace
              + "/"
              + sessionName);
    }
    return new Resolved(user, namespace, sessionName, podName.get());
  }

  /**
   * How long a namespace, once read, is used without reading it again: a burst of session starts in
   * one user's namespace reads it once. Its user binding is an admin's annotation that changes
   * rarely; a change takes effect within this time (as a refused token's cached review does).
   */
  static final Duration NAMESPACE_TTL = Duration.ofSeconds(10);

  private final RecentReads<Namespace> namespaces = new RecentReads<>(NAMESPACE_TTL, 10_000);

  private Namespace namespace(String name) {
    return namespaces
        .get(name, () -> Optional.ofNullable(get(() -> client.namespaces().withName(name).get())))
        .orElse(null);
  }

  private static Refused refuse(String reason) {
    return new Refused(reason);
  }

  private static Optional<OwnerReference> controllerOf(HasMetadata resource) {
    List<OwnerReference> refs = resource.getMetadata().getOwnerReferences();
    if (refs == null) {
      return Optional.empty();
    }
    List<OwnerReference> controllers =
        refs.stream().filter(r -> Boolean.TRUE.equals(r.getController())).toList();
    return controllers.size() == 1 ? Optional.of(controllers.get(0)) : Optional.empty();
  }

  private static <T> T get(Supplier<T> call) {
    try {
      return call.get();
    } catch (KubernetesClientException e) {
      log.warn("reading from the Kubernetes API server failed: HTTP {}", e.getCode());
      throw new AuthenticationUnavailableException(
          "the Kubernetes API server could not be read (HTTP " + e.getCode() + ")");
    }
  }
}
