package io.nbsecrets.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * One setting: its name (the Helm chart's value name, e.g. {@code api.podTokenAudience}), its type
 * and default, where it may be given, and any older environment variable that still sets it. Every
 * role reads a setting through {@link Settings#get(Setting)}, so the same name means the same value
 * whichever role reads it. The registry of all of them is {@link NbsecretsSettings}.
 *
 * @param name the setting's name, as in the chart's values.yaml (or a dev-only name)
 * @param scope whether the chart has a value of this name
 * @param parser turns the given text into the typed value, naming the setting on error
 * @param defaultValue the value when nothing sets it (may be null: "not set")
 * @param envAliases older environment variable names that still set it, first wins
 * @param emptyIsAValue whether a setting given empty is the empty text rather than unset (e.g.
 *     {@code --api-ca-configmap=}: no CA ConfigMap); otherwise empty means the default
 * @param <T> the value's type
 */
public record Setting<T>(
    String name,
    Scope scope,
    Parser<T> parser,
    T defaultValue,
    List<String> envAliases,
    boolean emptyIsAValue) {

  /** Whether the Helm chart has a value of the setting's name. */
  public enum Scope {
    /** A value in charts/nbsecrets/values.yaml of the same name. */
    CHART_VALUE,
    /**
     * Given by file, environment or flag only: the chart passes it from elsewhere (a Secret, a
     * derived value) or leaves it at its default. Not in values.yaml.
     */
    NOT_A_CHART_VALUE,
    /** Read by the dev command only (the product run locally); never deployed. */
    DEV_ONLY
  }

  /** Parses a setting's text; throws {@link SettingsException} naming the setting. */
  @FunctionalInterface
  public interface Parser<T> {
    T parse(String name, String text);
  }

  public Setting {
    Objects.requireNonNull(name);
    Objects.requireNonNull(scope);
    Objects.requireNonNull(parser);
    envAliases = List.copyOf(envAliases);
  }

  /** A text setting. */
  public static Setting<String> text(String name, Scope scope, String defaultValue) {
    return new Setting<>(name, scope, (n, t) -> t, defaultValue, List.of(), false);
  }

  /** A whole-number setting between {@code min} and {@code max}. */
  public static Setting<Integer> integer(
      String name, Scope scope, Integer defaultValue, int min, int max) {
    return new Setting<>(
        name,
        scope,
        (n, t) -> {
          long v = parseLong(n, t);
          if (v < min || v > max) {
            throw new SettingsException(
                n + " must be between " + min + " and " + max + ", got " + v);
          }
          return (int) v;
        },
        defaultValue,
        List.of(),
        false);
  }

  /** A whole-number setting (64 bits). */
  public static Setting<Long> whole(String name, Scope scope, Long defaultValue) {
    return new Setting<>(name, scope, Setting::parseLong, defaultValue, List.of(), false);
  }

  /** A true/false setting. */
  public static Setting<Boolean> flag(String name, Scope scope, boolean defaultValue) {
    return new Setting<>(
        name,
        scope,
        (n, t) ->
            switch (t.trim().toLowerCase(Locale.ROOT)) {
              case "true" -> true;
              case "false" -> false;
              default -> throw new SettingsException(n + " must be true or false, got: " + t);
            },
        defaultValue,
        List.of(),
        false);
  }

  /** A duration like {@code 5s}, {@code 500ms}, {@code 2m} or ISO-8601 ({@code PT5S}). */
  public static Setting<Duration> duration(String name, Scope scope, Duration defaultValue) {
    return new Setting<>(name, scope, Settings::parseDuration, defaultValue, List.of(), false);
  }

  /** One of {@code allowed}; the first is the default. */
  public static Setting<String> choice(String name, Scope scope, List<String> allowed) {
    return new Setting<>(
        name,
        scope,
        (n, t) -> {
          if (!allowed.contains(t)) {
            throw new SettingsException(n + " must be one of " + allowed + ", got: " + t);
          }
          return t;
        },
        allowed.get(0),
        List.of(),
        false);
  }

  /** A comma-separated list; blank entries are dropped. */
  public static Setting<List<String>> list(String name, Scope scope) {
    return new Setting<>(
        name,
        scope,
        (n, t) -> {
          List<String> items = new ArrayList<>();
          for (String item : t.split(",", -1)) {
            if (!item.isBlank()) {
              items.add(item.trim());
            }
          }
          return List.copyOf(items);
        },
        List.of(),
        List.of(),
        false);
  }

  /** This setting, also set by the given older environment variables. */
  public Setting<T> withEnvAliases(String... aliases) {
    List<String> all = new ArrayList<>(envAliases);
    all.addAll(Arrays.asList(aliases));
    return new Setting<>(name, scope, parser, defaultValue, all, emptyIsAValue);
  }

  /** This setting, where given empty means the empty text rather than the default. */
  public Setting<T> withEmptyAsValue() {
    return new Setting<>(name, scope, parser, defaultValue, envAliases, true);
  }

  /** The environment variable that sets it: {@code NBSECRETS_} + the name in upper case. */
  public String envName() {
    return Settings.envName(name);
  }

  /** Parses {@code text} as this setting's value. */
  public T parse(String text) {
    return parser.parse(name, text);
  }

  private static long parseLong(String name, String text) {
    try {
      return Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      throw new SettingsException(name + " must be a whole number, got: " + text);
    }
  }
}
