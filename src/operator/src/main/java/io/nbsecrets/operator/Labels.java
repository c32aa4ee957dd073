package io.nbsecrets.operator;

import io.nbsecrets.model.ObjectKeys;
import io.nbsecrets.util.Hashes;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Labels and annotations the operator puts on what it creates. The {@code nbsecrets.io/} keys are
 * defined, with their meaning, in {@link ObjectKeys}; the names here stay for the operator's code.
 */
public final class Labels {
  public static final String MANAGED_BY = "app.kubernetes.io/managed-by";
  public static final String MANAGED_BY_VALUE = "nbsecrets";
  public static final String NAME = "app.kubernetes.io/name";
  public static final String NAME_VALUE = "notebook-session";
  public static final String INSTANCE = "app.kubernetes.io/instance";
  public static final String COMPONENT = "app.kubernetes.io/component";
  public static final String SESSION = ObjectKeys.SESSION;
  public static final String USER = ObjectKeys.SESSION_USER;

  /** Namespace annotation that binds a namespace to the one user whose sessions it may hold. */
  public static final String NAMESPACE_USER_ANNOTATION = ObjectKeys.NAMESPACE_USER;

  /**
   * Session annotation: set or change its value to re-take the secrets' values and roll the pod.
   */
  public static final String REFRESH_ANNOTATION = ObjectKeys.REFRESH;

  /** Hash of the desired state, on StatefulSets and Services: equal hash, nothing to write. */
  public static final String DESIRED_HASH = ObjectKeys.DESIRED_HASH;

  /** Session Secret annotations: which selection it snapshots, and what it holds (no values). */
  public static final String SELECTION_HASH = ObjectKeys.SELECTION_HASH;

  /**
   * The manifest on Secrets of earlier versions only: it now travels in the Secret's data ({@link
   * SessionSecrets#MANIFEST_KEY}), since 1,000 secrets with long names pass the 256 KiB that all
   * annotations of an object may hold. Read, never written.
   */
  public static final String MANIFEST = ObjectKeys.MANIFEST;

  /** Pod template annotation: changes with the snapshot, so a new snapshot rolls the pod. */
  public static final String SNAPSHOT = ObjectKeys.SNAPSHOT;

  /** See {@link ObjectKeys#SUPERSEDED_SECRET}. */
  public static final String SUPERSEDED_SECRET = ObjectKeys.SUPERSEDED_SECRET;

  public static final String COMPONENT_SECRETS = "session-secrets";
  public static final String COMPONENT_SNAPSHOT = "session-snapshot";
  public static final String COMPONENT_WORKLOAD = "session";

  private static final Pattern LABEL_VALUE =
      Pattern.compile("^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$");

  private Labels() {}

  /**
   * The user as a label value: the user itself when it is a valid label value (alice), otherwise a
   * stable hash (oidc:alice@example.org → u-3f2a…). The exact user is always in annotations.
   */
  public static String userLabelValue(String user) {
    if (user.length() <= 63 && LABEL_VALUE.matcher(user).matches()) {
      return user;
    }
    return "u-" + Hashes.sha256Hex(user).substring(0, 40);
  }

  /** Labels of every object made for a session. */
  public static Map<String, String> forSession(String session, String user, String component) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, NAME_VALUE);
    labels.put(INSTANCE, session);
    labels.put(COMPONENT, component);
    labels.put(MANAGED_BY, MANAGED_BY_VALUE);
    labels.put(SESSION, session);
    labels.put(USER, userLabelValue(user));
    return labels;
  }

  /** The labels that select a session's pod (stable for the StatefulSet's life). */
  public static Map<String, String> selector(String session) {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put(NAME, NAME_VALUE);
    labels.put(INSTANCE, session);
    labels.put(SESSION, session);
    return labels;
  }
}
