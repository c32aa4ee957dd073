package io.nbsecrets.operator;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.ResourceRequirements;
import io.nbsecrets.model.EnvNames;
import io.nbsecrets.model.MountPaths;
import io.nbsecrets.model.NotebookSession;
import io.nbsecrets.model.NotebookSessionSpec;
import io.nbsecrets.model.SecretItem;
import io.nbsecrets.model.SecretNames;
import io.nbsecrets.model.SecretsSpec;
import java.math.BigDecimal;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Checks a session before anything is read or written. The API server's schema checks the same
 * rules where it can, but the operator does not rely on it (the schema may be older, or absent).
 */
public final class SessionValidator {
  /** A StatefulSet's pods carry a 63-char label with the set's name plus an 11-char suffix. */
  public static final int MAX_SESSION_NAME = 52;

  private static final Pattern DNS_LABEL = Pattern.compile("^[a-z]([-a-z0-9]*[a-z0-9])?$");

  private SessionValidator() {}

  public static void validateSpec(NotebookSession session) throws SessionFailure {
    String name = session.getMetadata().getName();
    if (name.length() > MAX_SESSION_NAME || !DNS_LABEL.matcher(name).matches()) {
      throw invalid(
          "session name must be a DNS label (lowercase letters, digits, '-') of at most "
              + MAX_SESSION_NAME
              + " characters");
    }
    NotebookSessionSpec spec = session.getSpec();
    if (spec != null && !spec.unreadableFields().isEmpty()) {
      // Acting on the rest would run a session other than the one asked for (a field this
      // operator does not know may be one that changes what the session gets): none is made until
      // an operator that reads the whole spec runs, and an existing workload is left as it is.
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.UNREADABLE_SPEC,
          "this operator cannot read the spec whole and acts on no part of it (is the"
              + " NotebookSession CRD newer than the operator?): "
              + String.join("; ", spec.unreadableFields()));
    }
    if (spec == null || spec.getUser() == null || spec.getUser().isBlank()) {
      throw invalid("spec.user is required");
    }
    if (spec.getImage() == null || spec.getImage().isBlank()) {
      throw invalid("spec.image is required");
    }
    validateResources(spec.getResources());
    if (spec.getSecrets() == null) {
      return;
    }
    String mountPath = spec.getSecrets().effectiveMountPath();
    var pathProblem = MountPaths.problem(mountPath);
    if (pathProblem.isPresent()) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS, Reason.INVALID_MOUNT_PATH, pathProblem.get());
    }
    Set<String> names = new HashSet<>();
    Set<String> files = new HashSet<>();
    for (SecretItem item : spec.getSecrets().itemsOrEmpty()) {
      var nameProblem = SecretNames.problem(item.getName());
      if (nameProblem.isPresent()) {
        throw invalid("spec.secrets.items: " + nameProblem.get());
      }
      if (item.getFileName() != null) {
        var fileProblem = SecretNames.problem(item.getFileName());
        if (fileProblem.isPresent()) {
          throw invalid(
              "spec.secrets.items[" + item.getName() + "].fileName: " + fileProblem.get());
        }
      }
      if (!names.add(item.getName())) {
        throw invalid("spec.secrets.items lists secret " + item.getName() + " twice");
      }
      if (!files.add(item.effectiveFileName())) {
        throw invalid(
            "spec.secrets.items: two secrets would be written to file " + item.effectiveFileName());
      }
    }
    validateEnv(spec);
  }

  /**
   * The variables the spec names: valid names, none twice, none a plain {@code env} entry's, and a
   * command for the launcher. (With {@code envAll}, the secrets' own names are checked once they
   * are read from the store: {@link SecretResolver}.)
   */
  static void validateEnv(NotebookSessionSpec spec) throws SessionFailure {
    SecretsSpec secrets = spec.getSecrets();
    if (secrets == null || !secrets.exportsEnv()) {
      return;
    }
    Set<String> plain = plainEnvNames(spec);
    Map<String, String> exported = new HashMap<>();
    for (SecretItem item : secrets.itemsOrEmpty()) {
      String env = item.getEnv();
      if (env == null) {
        continue;
      }
      var problem = EnvNames.problem(env);
      if (problem.isPresent()) {
        throw invalid(
            "spec.secrets.items[" + item.getName() + "].env " + env + " " + problem.get());
      }
      String other = exported.putIfAbsent(env, item.getName());
      if (other != null) {
        throw envClash(
            "secrets " + other + " and " + item.getName() + " are both exported as " + env);
      }
      if (plain.contains(env)) {
        throw envClash(
            "secret "
                + item.getName()
                + " is exported as "
                + env
                + ", which spec.env also sets: rename one of them");
      }
    }
    if (plain.contains(Workload.ENV_FILE_VARIABLE)) {
      throw invalid(
          "spec.env sets "
              + Workload.ENV_FILE_VARIABLE
              + ", which the launcher of a session that exports secrets uses");
    }
    if (spec.getCommand() == null || spec.getCommand().isEmpty()) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.COMMAND_REQUIRED,
          NotebookSessionSpec.COMMAND_FOR_ENV_MESSAGE);
    }
  }

  /**
   * {@code spec.resources} as the API server would check it in the pod: every quantity readable,
   * and no request above its limit. Refused here, the session says which; refused by the API
   * server, it would say it of the StatefulSet's pod template, after the Secret was written.
   */
  static void validateResources(ResourceRequirements resources) throws SessionFailure {
    if (resources == null) {
      return;
    }
    Map<String, BigDecimal> limits = amounts("limits", resources.getLimits());
    Map<String, BigDecimal> requests = amounts("requests", resources.getRequests());
    for (var request : requests.entrySet()) {
      BigDecimal limit = limits.get(request.getKey());
      if (limit != null && request.getValue().compareTo(limit) > 0) {
        throw invalid(
            "spec.resources.requests."
                + request.getKey()
                + " ("
                + resources.getRequests().get(request.getKey())
                + ") is more than spec.resources.limits."
                + request.getKey()
                + " ("
                + resources.getLimits().get(request.getKey())
                + "): a request may not exceed its limit");
      }
    }
  }

  private static Map<String, BigDecimal> amounts(String kind, Map<String, Quantity> quantities)
      throws SessionFailure {
    Map<String, BigDecimal> amounts = new HashMap<>();
    if (quantities == null) {
      return amounts;
    }
    for (var q : quantities.entrySet()) {
      BigDecimal amount;
      try {
        amount = q.getValue() == null ? null : Quantity.getAmountInBytes(q.getValue());
      } catch (RuntimeException e) {
        amount = null;
      }
      if (amount == null || amount.signum() < 0) {
        throw invalid(
            "spec.resources."
                + kind
                + "."
                + q.getKey()
                + " ("
                + q.getValue()
                + ") is not a quantity (such as 500m, 2, 512Mi or 1Gi)");
      }
      amounts.put(q.getKey(), amount);
    }
    return amounts;
  }

  /** The names of the spec's plain {@code env} entries. */
  static Set<String> plainEnvNames(NotebookSessionSpec spec) {
    Set<String> names = new HashSet<>();
    if (spec.getEnv() != null) {
      spec.getEnv().forEach(e -> names.add(e.getName()));
    }
    return names;
  }

  static SessionFailure envClash(String message) {
    return new SessionFailure(
        SessionFailure.Scope.SECRETS,
        Reason.ENV_CLASH,
        message + "; set another name with spec.secrets.items[].env");
  }

  /** The session's namespace must be bound to the session's user by an admin-set annotation. */
  public static void validateBinding(NotebookSession session, Namespace namespace)
      throws SessionFailure {
    String ns = session.getMetadata().getNamespace();
    Map<String, String> annotations =
        namespace == null ? null : namespace.getMetadata().getAnnotations();
    String bound = annotations == null ? null : annotations.get(Labels.NAMESPACE_USER_ANNOTATION);
    if (bound == null || bound.isBlank()) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.NAMESPACE_NOT_BOUND,
          "namespace "
              + ns
              + " is not bound to a user: an admin must set the annotation "
              + Labels.NAMESPACE_USER_ANNOTATION
              + " on it");
    }
    if (!bound.equals(session.getSpec().getUser())) {
      throw new SessionFailure(
          SessionFailure.Scope.SECRETS,
          Reason.USER_MISMATCH,
          "session user "
              + session.getSpec().getUser()
              + " does not match user "
              + bound
              + " bound to namespace "
              + ns);
    }
  }

  private static SessionFailure invalid(String message) {
    return new SessionFailure(SessionFailure.Scope.SECRETS, Reason.INVALID_SPEC, message);
  }
}
