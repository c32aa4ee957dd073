package io.nbsecrets.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * The program's settings, named as the Helm values are ({@code store.type}, {@code
 * api.podTokenAudience}, ...; every one is in {@link NbsecretsSettings}). One precedence rule for
 * every role, later wins: the default, a YAML file ({@code --config}), environment variables
 * ({@code NBSECRETS_} + the name in upper case with dots as underscores, e.g. {@code
 * NBSECRETS_STORE_DATABASE_URL}, or an older name a setting still accepts), then flags ({@code
 * --set name=value} and the commands' own flags bound to a setting). A secret setting can be given
 * as a file instead: {@code <name>File} (e.g. {@code store.database.passwordFile}) is read and
 * trimmed. Every error names the setting.
 */
public final class Settings {
  public static final String ENV_PREFIX = "NBSECRETS_";

  private final Map<String, String> values;
  private final Map<String, String> origins;

  private Settings(Map<String, String> values, Map<String, String> origins) {
    this.values = values;
    this.origins = origins;
  }

  /**
   * A value given by a command-line flag bound to a setting.
   *
   * @param name the setting's name
   * @param value the flag's text
   * @param flag the flag, for messages (e.g. {@code --pod-token-audience})
   */
  public record Given(String name, String value, String flag) {}

  /** Loads the layers. {@code file} may be null; {@code sets} are {@code name=value} strings. */
  public static Settings load(Path file, Map<String, String> env, List<String> sets) {
    return load(file, env, sets, List.of());
  }

  /**
   * Loads the layers: file, environment, then the {@code --set} strings and the commands' flags
   * (which win over {@code --set}).
   */
  public static Settings load(
      Path file, Map<String, String> env, List<String> sets, List<Given> flags) {
    Map<String, String> values = new TreeMap<>();
    Map<String, String> origins = new TreeMap<>();
    if (file != null) {
      JsonNode root;
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
      } catch (IOException e) {
        throw new SettingsException("cannot read the config file " + file + ": " + e.getMessage());
      }
      if (root != null && !root.isNull()) {
        if (!root.isObject()) {
          throw new SettingsException("the config file " + file + " must hold a YAML mapping");
        }
        flatten("", root, values, origins, "config file " + file);
      }
    }
    // Environment names lose case and dots, so match them against the names we know (and their
    // File variants). Other NBSECRETS_ variables belong to command flags and are left alone.
    for (Setting<?> known : NbsecretsSettings.all()) {
      List<String> aliases = new ArrayList<>(known.envAliases());
      Collections.reverse(aliases);
      for (String variable : aliases) {
        fromEnvironment(env, variable, known.name(), values, origins);
      }
      fromEnvironment(env, known.envName(), known.name(), values, origins);
      fromEnvironment(env, envName(known.name() + "File"), known.name() + "File", values, origins);
    }
    for (String set : sets) {
      int eq = set.indexOf('=');
      if (eq <= 0) {
        throw new SettingsException("--set expects name=value, got: " + set);
      }
      String name = set.substring(0, eq).trim();
      values.put(name, set.substring(eq + 1));
      origins.put(name, "--set " + name);
    }
    for (Given flag : flags) {
      values.put(flag.name(), flag.value());
      origins.put(flag.name(), flag.flag());
    }
    for (String name : values.keySet()) {
      String base = name.endsWith("File") ? name.substring(0, name.length() - 4) : name;
      if (NbsecretsSettings.byName(name).isEmpty() && NbsecretsSettings.byName(base).isEmpty()) {
        throw new SettingsException(
            "unknown setting "
                + name
                + " (from "
                + origins.get(name)
                + "); known: "
                + NbsecretsSettings.names());
      }
    }
    return new Settings(values, origins);
  }

  private static void fromEnvironment(
      Map<String, String> env,
      String variable,
      String name,
      Map<String, String> values,
      Map<String, String> origins) {
    String v = env.get(variable);
    if (v != null) {
      values.put(name, v);
      origins.put(name, "environment variable " + variable);
    }
  }

  /**
   * The environment variable for a setting: {@code store.database.url} →
   * NBSECRETS_STORE_DATABASE_URL.
   */
  public static String envName(String name) {
    return ENV_PREFIX + name.replace('.', '_').toUpperCase(Locale.ROOT);
  }

  private static void flatten(
      String prefix,
      JsonNode node,
      Map<String, String> values,
      Map<String, String> origins,
      String origin) {
    for (Map.Entry<String, JsonNode> f : node.properties()) {
      String name = prefix.isEmpty() ? f.getKey() : prefix + "." + f.getKey();
      if (f.getValue().isObject()) {
        flatten(name, f.getValue(), values, origins, origin);
      } else if (!f.getValue().isNull()) {
        if (f.getValue().isContainerNode()) {
          throw new SettingsException(name + " in the " + origin + " must be a single value");
        }
        values.put(name, f.getValue().asText());
        origins.put(name, origin);
      }
    }
  }

  /**
   * The setting's typed value: as given (the highest layer that gives it), else its default (may be
   * null when the setting has none). A text setting given empty is the empty text (e.g. {@code
   * --api-ca-configmap=}); any other setting given empty is unset.
   */
  public <T> T get(Setting<T> setting) {
    String raw = values.get(setting.name());
    if (raw != null && raw.isBlank() && setting.emptyIsAValue()) {
      return setting.parse(raw);
    }
    Optional<String> text = get(setting.name());
    if (text.isEmpty()) {
      return setting.defaultValue();
    }
    try {
      return setting.parse(text.get());
    } catch (SettingsException e) {
      throw new SettingsException(e.getMessage() + " (from " + origin(setting.name()) + ")");
    }
  }

  /** The setting's typed value as {@link #get(Setting)} gives it, empty when that is null. */
  public <T> Optional<T> find(Setting<T> setting) {
    return Optional.ofNullable(get(setting));
  }

  /**
   * The setting's typed value; a {@link SettingsException} naming it and how to set it when it is
   * not given.
   *
   * @param why when it is required, e.g. "when store.type is database"
   */
  public <T> T require(Setting<T> setting, String why) {
    require(setting.name(), why);
    return get(setting);
  }

  /** The value, or the content of {@code <name>File}, or empty. */
  public Optional<String> get(String name) {
    String v = values.get(name);
    if (v != null && !v.isBlank()) {
      return Optional.of(v);
    }
    String file = values.get(name + "File");
    if (file != null && !file.isBlank()) {
      try {
        return Optional.of(Files.readString(Path.of(file), StandardCharsets.UTF_8).trim());
      } catch (IOException e) {
        throw new SettingsException(
            name + "File: cannot read " + file + " (" + e.getClass().getSimpleName() + ")");
      }
    }
    return Optional.empty();
  }

  public String get(String name, String defaultValue) {
    return get(name).orElse(defaultValue);
  }

  public String require(String name, String why) {
    return get(name)
        .orElseThrow(
            () ->
                new SettingsException(
                    name
                        + " is required "
                        + why
                        + " (set it in the config file, as "
                        + envName(name)
                        + ", or with --set "
                        + name
                        + "=...)"));
  }

  public int getInt(String name, int defaultValue, int min, int max) {
    Optional<String> v = get(name);
    if (v.isEmpty()) {
      return defaultValue;
    }
    try {
      int i = Integer.parseInt(v.get().trim());
      if (i < min || i > max) {
        throw new SettingsException(
            name + " must be between " + min + " and " + max + ", got " + i);
      }
      return i;
    } catch (NumberFormatException e) {
      throw new SettingsException(name + " must be a whole number, got: " + v.get());
    }
  }

  /** A duration like {@code 5s}, {@code 500ms}, {@code 2m} or ISO-8601 ({@code PT5S}). */
  public Duration getDuration(String name, Duration defaultValue) {
    Optional<String> v = get(name);
    return v.isEmpty() ? defaultValue : parseDuration(name, v.get());
  }

  /** Parses a duration like {@code 5s}, {@code 500ms}, {@code 2m} or ISO-8601 ({@code PT5S}). */
  static Duration parseDuration(String name, String text) {
    String s = text.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      }
      if (s.endsWith("s")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      if (s.endsWith("m")) {
        return Duration.ofMinutes(Long.parseLong(s.substring(0, s.length() - 1)));
      }
      return Duration.parse(text.trim());
    } catch (NumberFormatException | DateTimeParseException e) {
      throw new SettingsException(
          name + " must be a duration such as 5s, 500ms or 2m, got: " + text);
    }
  }

  /** One of {@code allowed}; the first when unset. */
  public String getChoice(String name, List<String> allowed) {
    String v = get(name, allowed.get(0));
    if (!allowed.contains(v)) {
      throw new SettingsException(name + " must be one of " + allowed + ", got: " + v);
    }
    return v;
  }

  /** Where a setting came from, for messages. */
  public String origin(String name) {
    return origins.getOrDefault(name, "default");
  }
}
