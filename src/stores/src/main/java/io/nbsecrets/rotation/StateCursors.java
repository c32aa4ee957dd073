package io.nbsecrets.rotation;

import io.nbsecrets.store.ScanCursor;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * The cursor of an interrupted pass, in a rotation's state ConfigMap next to the rotation's target;
 * a cursor saved for another target is ignored. Holds no secret: users, secret names, key ids.
 */
final class StateCursors<C> implements RewrapPasses.CursorStore<C> {
  static final String TARGET = "target";

  private final KeySecrets secrets;
  private final String stateName;
  private final String target;
  private final Function<Map<String, String>, C> from;
  private final Function<C, Map<String, String>> to;

  StateCursors(
      KeySecrets secrets,
      String stateName,
      String target,
      Function<Map<String, String>, C> from,
      Function<C, Map<String, String>> to) {
    this.secrets = secrets;
    this.stateName = stateName;
    this.target = target;
    this.from = from;
    this.to = to;
  }

  /** Cursors over records: the user and name of the last record handled. */
  static StateCursors<ScanCursor> ofRecords(KeySecrets secrets, String stateName, String target) {
    return new StateCursors<>(
        secrets, stateName, target, StateCursors::recordCursor, StateCursors::recordCursorData);
  }

  static ScanCursor recordCursor(Map<String, String> state) {
    String user = state.get("afterUser");
    String name = state.get("afterName");
    return user == null || name == null ? null : new ScanCursor(user, name);
  }

  static Map<String, String> recordCursorData(ScanCursor cursor) {
    return Map.of("afterUser", cursor.user(), "afterName", cursor.name());
  }

  @Override
  public C load() {
    return secrets
        .readState(stateName)
        .filter(d -> target.equals(d.get(TARGET)))
        .map(from)
        .orElse(null);
  }

  @Override
  public void save(C cursor) {
    Map<String, String> data = new LinkedHashMap<>(to.apply(cursor));
    data.put(TARGET, target);
    secrets.writeState(stateName, data);
  }

  @Override
  public void clear() {
    secrets.writeState(stateName, Map.of(TARGET, target));
  }
}
