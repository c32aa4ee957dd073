package io.nbsecrets.model;

/**
 * Every {@code nbsecrets.io/...} label, annotation and Secret type the program writes or reads, in
 * one place: each says which object carries it and what it means. The same key may appear on
 * different objects with different meanings (the user annotation on a Namespace binds it; on a
 * store record it names the record's owner), so each use has its own constant even when the strings
 * are equal. In the lowest package so that every role may refer to it.
 */
public final class ObjectKeys {
  /** The prefix of every key here. */
  public static final String PREFIX = "nbsecrets.io/";

  // --- Namespaces ---

  /**
   * Annotation on a Namespace: binds it to the one user whose sessions it may hold. The operator
   * reads it before it creates a session's workload; the API reads it before it trusts a pod's
   * token. Only cluster administrators may set it.
   */
  public static final String NAMESPACE_USER = PREFIX + "user";

  // --- What the operator makes for a NotebookSession ---

  /** Label on every object made for a session: the session's name. */
  public static final String SESSION = PREFIX + "session";

  /**
   * Label on every object made for a session: the session's user as a label value (the user itself,
   * or a stable hash when it is no valid label value; the exact user is in annotations).
   */
  public static final String SESSION_USER = PREFIX + "user";

  /**
   * Annotation on a NotebookSession: set or change its value to re-take the secrets' values and
   * roll the pod.
   */
  public static final String REFRESH = PREFIX + "refresh";

  /**
   * Annotation on the session's StatefulSet and Service: hash of the desired state (equal hash,
   * nothing to write).
   */
  public static final String DESIRED_HASH = PREFIX + "desired-hash";

  /** Annotation on a session Secret: hash of the selection of secrets it snapshots. */
  public static final String SELECTION_HASH = PREFIX + "selection-hash";

  /**
   * Annotation on session Secrets of earlier versions only: their manifest (it now travels in the
   * Secret's data). Read, never written.
   */
  public static final String MANIFEST = PREFIX + "manifest";

  /**
   * Annotation on a session's StatefulSet: the record of the snapshot it mounts (which Secret, and
   * the names, files and versions in it; never values), so that the record costs no write of its
   * own. Absent when a ConfigMap carries the record (a large one, or one of an earlier version).
   */
  public static final String SNAPSHOT_RECORD = PREFIX + "snapshot-record";

  /**
   * Annotation on a session's StatefulSet: the session Secret it mounted before its latest
   * snapshot, deleted by the operator once the StatefulSet names the new one. It stays until the
   * next snapshot (removing it would cost a write), so each operator start deletes it once more (a
   * 404 when it is gone); only a name of the session's own Secrets is ever followed.
   */
  public static final String SUPERSEDED_SECRET = PREFIX + "superseded-secret";

  /**
   * Annotation on a session's pod template: changes with the snapshot, so a new snapshot rolls the
   * pod.
   */
  public static final String SNAPSHOT = PREFIX + "snapshot";

  /**
   * Annotation on the pod of a {@code refresh: Live} session: the snapshot its Secret was last
   * updated to. The operator sets it after each in-place update so that the kubelet syncs the pod
   * (and so its Secret volume) at once rather than on its next periodic sync. Nothing reads it.
   */
  public static final String SECRETS_REVISION = PREFIX + "secrets-revision";

  /** Secret type of a session Secret (once-encrypted values for one session). */
  public static final String TYPE_SESSION_SECRETS = PREFIX + "session-secrets";

  // --- The kubernetes store's Secrets ---

  /** Label on a store Secret: what it holds ({@code secret-record} or {@code user-key}). */
  public static final String STORE_COMPONENT = PREFIX + "component";

  /** Label on a store Secret: a hash of the owning user, to list one user's records. */
  public static final String STORE_USER_HASH = PREFIX + "user-hash";

  /** Annotation on a store Secret: the owning user, exactly. */
  public static final String STORE_USER = PREFIX + "user";

  /** Annotation on a store record Secret: the secret's name. */
  public static final String STORE_NAME = PREFIX + "name";

  /** Annotation on a store record Secret: the record's version. */
  public static final String STORE_VERSION = PREFIX + "version";

  /** Annotation on a store record Secret: when the secret was created. */
  public static final String STORE_CREATED_AT = PREFIX + "created-at";

  /** Annotation on a store record Secret: when the secret was last updated. */
  public static final String STORE_UPDATED_AT = PREFIX + "updated-at";

  /** Secret type of a store record (one user's sealed secret). */
  public static final String TYPE_RECORD = PREFIX + "record";

  /** Secret type of a store user key (a user's key, wrapped by the platform key). */
  public static final String TYPE_USER_KEY = PREFIX + "user-key";

  // --- Key Secrets (rotation) ---

  /** Annotation on a key Secret during a rotation: the id of the key being rotated to. */
  public static final String ROTATING_TO = PREFIX + "rotating-to";

  /** Annotation on a key Secret: the run id of the last rotation completed. */
  public static final String LAST_ROTATION_RUN = PREFIX + "last-rotation-run";

  private ObjectKeys() {}
}
