package io.nbsecrets.cli;

import io.nbsecrets.config.NbsecretsSettings;
import io.nbsecrets.config.Setting;
import io.nbsecrets.config.Settings;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.ResourceBundle;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.IModelTransformer;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Binds command-line flags to settings: a flag whose {@code descriptionKey} is a setting's name
 * (e.g. {@code --pod-token-audience} to {@code api.podTokenAudience}) sets that setting when given,
 * over the environment and the config file; its help shows the setting's default. The commands read
 * the values from {@link Settings}, never from a flag's field, so every layer counts.
 *
 * <p>A command lists its own bound flags as {@link Flag}s ({@link Owner}) and names {@link Bind} as
 * its {@code modelTransformer}, which adds them, shows the settings' defaults ({@link Defaults})
 * and takes their help from the resource bundle {@link #HELP}, by setting name.
 */
public final class SettingFlags {
  /** The resource bundle of the bound flags' help, by setting name. */
  public static final String HELP = "io.nbsecrets.cli.FlagHelp";

  /**
   * A flag that sets {@code setting} when given. {@code type} is its value's: {@code boolean} for a
   * switch, {@code List} for comma-separated texts.
   */
  public record Flag(String name, Class<?> type, Setting<?> setting) {
    OptionSpec option() {
      String key = setting.name();
      OptionSpec.Builder option =
          OptionSpec.builder(name)
              .type(type)
              .descriptionKey(key)
              .paramLabel("<" + key.substring(key.lastIndexOf('.') + 1) + ">");
      if (List.class.isAssignableFrom(type)) {
        option.auxiliaryTypes(String.class).splitRegex(",");
      }
      return option.build();
    }
  }

  /** A command with flags bound to settings, which {@link Bind} adds to it. */
  public interface Owner {
    /** The command's bound flags. */
    List<Flag> settingFlags();
  }

  /**
   * Binds a command's flags to settings ({@code @Command(modelTransformer =
   * SettingFlags.Bind.class)}): adds an {@link Owner}'s own flags, and gives every bound flag, its
   * mixins' too, its setting's default and help.
   */
  public static final class Bind implements IModelTransformer {
    @Override
    public CommandSpec transform(CommandSpec command) {
      if (command.userObject() instanceof Owner owner) {
        owner.settingFlags().forEach(flag -> command.addOption(flag.option()));
      }
      command.defaultValueProvider(new Defaults());
      command.resourceBundle(ResourceBundle.getBundle(HELP));
      return command;
    }
  }

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
