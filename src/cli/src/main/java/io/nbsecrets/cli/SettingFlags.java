package io.nbsecrets.cli;

import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Setting;
import io.nbsecrets.config.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Binds command-line flags to settings: a flag whose {@code descriptionKey} is a setting's name
 * (e.g. {@code --pod-token-audience} to {@code api.podTokenAudience}) sets that setting when given,
 * over the environment and the config file; its help shows the setting's default. The commands read
 * the values from {@link Settings}, never from the flag's field, so every layer counts.
 */
public final class SettingFlags {
  private SettingFlags() {}

  /** Shows a bound flag's default in its help ({@code ${DEFAULT-VALUE}}). */
  public static final class Defaults implements IDefaultValueProvider {
    @Override
    public String defaultValue(ArgSpec arg) {
      Object value = setting(arg).map(Setting::defaultValue).orElse(null);
      if (value == null || value instanceof Collection<?> c && c.isEmpty()) {
        return null;
      }
      return value instanceof Collection<?> c ? String.join(",", strings(c)) : value.toString();
    }
  }

  /** The values of the bound flags given on this command line. */
  public static List<Settings.Given> given(CommandSpec command) {
    List<Settings.Given> given = new ArrayList<>();
    ParseResult parsed = command.commandLine().getParseResult();
    for (OptionSpec option : command.options()) {
      Optional<Setting<?>> setting = setting(option);
      if (setting.isPresent() && parsed != null && parsed.hasMatchedOption(option)) {
        Object value = option.getValue();
        String text =
            value instanceof Collection<?> c ? String.join(",", strings(c)) : String.valueOf(value);
        given.add(new Settings.Given(setting.get().name(), text, option.longestName()));
      }
    }
    return given;
  }

  private static Optional<Setting<?>> setting(ArgSpec arg) {
    String key = arg instanceof OptionSpec option ? option.descriptionKey() : null;
    return key == null || key.isEmpty() ? Optional.empty() : NbsecretsSettings.byName(key);
  }

  private static List<String> strings(Collection<?> values) {
    return values.stream().map(String::valueOf).toList();
  }
}
