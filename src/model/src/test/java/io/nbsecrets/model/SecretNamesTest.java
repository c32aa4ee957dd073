package io.nbsecrets.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class SecretNamesTest {
  /** The rule as the CRD's schema states it (crds/, the name's pattern). */
  private static final Pattern RULE = Pattern.compile("^[A-Za-z0-9._-]+$");

  @Test
  void everyCharacterIsJudgedAsTheSchemasPatternJudgesIt() {
    for (char c = 0; c < 0x3000; c++) {
      String name = "a" + c + "b";
      assertThat(SecretNames.isValid(name))
          .as("U+%04X", (int) c)
          .isEqualTo(RULE.matcher(name).matches());
    }
  }

  @Test
  void randomNamesAreJudgedAsTheSchemasPatternJudgesThem() {
    Random random = new Random(5L);
    String alphabet = "Aa0._-/ \n+é~=";
    for (int i = 0; i < 20_000; i++) {
      StringBuilder name = new StringBuilder();
      for (int j = 1 + random.nextInt(12); j > 0; j--) {
        name.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      String candidate = name.toString();
      boolean expected =
          RULE.matcher(candidate).matches()
              && !candidate.equals(".")
              && !candidate.startsWith("..");
      assertThat(SecretNames.isValid(candidate)).as("'%s'", candidate).isEqualTo(expected);
    }
  }

  @Test
  void problemsAreNamed() {
    assertThat(SecretNames.problem("")).hasValue("name must not be empty");
    assertThat(SecretNames.problem("a b"))
        .hasValue("name may contain only letters, digits, '.', '_' and '-'");
    assertThat(SecretNames.problem("..x")).get().asString().contains("'..'");
    assertThat(SecretNames.problem("x".repeat(SecretNames.MAX_LENGTH + 1)))
        .get()
        .asString()
        .contains("longer than " + SecretNames.MAX_LENGTH);
  }
}
