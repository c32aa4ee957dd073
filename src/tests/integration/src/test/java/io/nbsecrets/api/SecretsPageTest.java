package io.nbsecrets.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.nbsecrets.api.ApiFixture.Reply;
import io.nbsecrets.model.MountedSecret;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.logging.Level;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.Alert;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The secrets page in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}; {@code .ci/run} installs them), served by the real API: every flow with the
 * keyboard, every error where the user sees it, and no value in the DOM, the page's storage,
 * cookies or the browser's console once it was saved. Skipped without Chromium, except in CI. With
 * {@code -Dpage.screenshots=DIR}, each state is saved as a PNG (docs/screenshots).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class SecretsPageTest {
  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path DRIVER = Path.of("/usr/bin/chromedriver");

  @TempDir Path dir;
  private ApiFixture f;
  private WebDriver browser;
  private WebDriverWait wait;
  private final List<String> values = new ArrayList<>();
  private String token;

  @BeforeAll
  void start() {
    boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
    if (!present && "true".equals(System.getenv("CI"))) {
      throw new IllegalStateException("CI must install chromium and chromium-driver");
    }
    assumeTrue(present, "chromium and chromium-driver are not installed");
    f = new ApiFixture();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments(
        "--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1000,900");
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability("goog:loggingPrefs", logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
    wait = new WebDriverWait(browser, Duration.ofSeconds(15));
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (f != null) {
      f.close();
    }
  }

  private WebElement byId(String id) {
    return browser.findElement(By.id(id));
  }

  private String text(String id) {
    return byId(id).getText();
  }

  private void awaitText(String id, String expected) {
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id(id), expected));
  }

  private void screenshot(String name) throws Exception {
    String target = System.getProperty("page.screenshots");
    if (target != null) {
      Path to = Path.of(target).resolve(name + ".png");
      Files.createDirectories(to.getParent());
      Files.write(to, ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }
  }

  /** Types a name and a value into the form and submits it with Enter, as a person would. */
  private void save(String name, String value) {
    byId("name").sendKeys(name);
    byId("value").sendKeys(value);
    byId("name").sendKeys(Keys.ENTER);
  }

  private String value(String hint) {
    String v = "page-" + hint + "-" + UUID.randomUUID();
    values.add(v);
    return v;
  }

  @Test
  @Order(1)
  void thePageIsServedWithAStrictPolicyAndNoInlineScript() throws Exception {
    Reply page = f.get("/", null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.header("Content-Security-Policy"))
        .contains("default-src 'none'", "script-src 'self'", "frame-ancestors 'none'")
        .doesNotContain("unsafe-inline", "unsafe-eval");
    assertThat(page.body())
        .doesNotContainPattern("<script(?![^>]*\\bsrc=)") // no inline script
        .doesNotContainPattern("\\son[a-z]+\\s*="); // no inline handler
    assertThat(page.body()).doesNotContain("http://", "https://"); // no external asset
    // The page checks names in the API's own words: each of the rule's messages is in its script.
    String script = f.get("/app.js", null).body();
    for (String bad : List.of("", "x".repeat(129), "a/b", "..a")) {
      String message = io.nbsecrets.model.SecretNames.problem(bad).orElseThrow();
      assertThat(script.replace("' + MAX_NAME + '", "128")).contains(message);
    }
    browser.get(f.uri("/").toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    // Every field has its label.
    for (WebElement field : browser.findElements(By.cssSelector("input, textarea"))) {
      assertThat(
              browser.findElements(By.cssSelector("label[for='" + field.getAttribute("id") + "']")))
          .as("label of %s", field.getAttribute("id"))
          .hasSize(1);
    }
    screenshot("1-sign-in");
  }

  /**
   * Without its script (blocked, failed to load, or scripts off), the sign-in form submitted with
   * Enter sends no token anywhere: not in the address (a GET form would have put it in the history
   * and every proxy's log), not in a body.
   */
  @Test
  @Order(1)
  void withoutItsScriptTheSignInFormSendsNoToken() throws Exception {
    ChromeDriver chrome = (ChromeDriver) browser;
    chrome.executeCdpCommand("Network.enable", java.util.Map.of());
    chrome.executeCdpCommand(
        "Network.setBlockedURLs", java.util.Map.of("urls", List.of("*app.js")));
    try {
      browser.get(f.uri("/").toString());
      wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
      String secretToken = "no-script-token-" + java.util.UUID.randomUUID();
      byId("token").sendKeys(secretToken, Keys.ENTER);
      Thread.sleep(1_000);
      assertThat(browser.getCurrentUrl()).doesNotContain(secretToken).doesNotContain("token=");
      assertThat(browser.getPageSource()).doesNotContain(secretToken);
    } finally {
      chrome.executeCdpCommand("Network.setBlockedURLs", java.util.Map.of("urls", List.of()));
    }
  }

  @Test
  @Order(2)
  void aRefusedTokenSaysSoAndAGoodOneSignsInWithTheKeyboardAlone() throws Exception {
    browser.get(f.uri("/").toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    byId("token").sendKeys("not-a-token", Keys.ENTER);
    awaitText("error", "Your token was refused");
    assertThat(text("error"))
        .contains("the bearer token is not valid")
        .doesNotContain("not-a-token");
    screenshot("2-token-refused");
    token = f.userToken("alice");
    byId("token").sendKeys(token, Keys.ENTER);
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("secrets")));
    assertThat(byId("error").isDisplayed()).isFalse();
    assertThat(text("empty")).isEqualTo("You have no secrets yet.");
    // The focus moves to the first field of the form: the keyboard goes on from there.
    assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("name");
    screenshot("3-signed-in-empty");
  }

  @Test
  @Order(3)
  void badInputIsShownBesideItsFieldInTheApisWordsAndNothingIsSent() throws Exception {
    byId("name").sendKeys("../etc");
    byId("value").sendKeys("x");
    byId("name").sendKeys(Keys.ENTER);
    awaitText("name-error", "name may contain only letters");
    assertThat(text("name-error"))
        .isEqualTo("name may contain only letters, digits, '.', '_' and '-'");
    assertThat(byId("name").getAttribute("aria-invalid")).isEqualTo("true");
    screenshot("4-invalid-name");
    byId("name").clear();
    byId("name").sendKeys("BIG");
    byId("value").clear();
    ((JavascriptExecutor) browser)
        .executeScript("document.getElementById('value').value = 'y'.repeat(200 * 1024)");
    byId("name").sendKeys(Keys.ENTER);
    awaitText("value-error", "value is 204800 bytes; the limit is 131072 bytes");
    byId("value").clear();
    byId("name").sendKeys(Keys.ENTER);
    awaitText("value-error", "value must not be empty");
    assertThat(f.store.list("alice")).isEmpty();
  }

  @Test
  @Order(4)
  void addReplaceUploadAndDeleteAndTheValueLeavesThePage() throws Exception {
    String v1 = value("v1");
    byId("name").clear();
    save("GITHUB_TOKEN", v1);
    awaitText("status", "Created GITHUB_TOKEN (version 1).");
    assertThat(byId("value").getAttribute("value")).isEmpty();
    assertThat(new String(f.decryptStored("alice", "GITHUB_TOKEN"), StandardCharsets.UTF_8))
        .isEqualTo(v1);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rows"), "GITHUB_TOKEN"));
    screenshot("5-created");

    String v2 = value("v2");
    save("GITHUB_TOKEN", v2);
    awaitText("status", "Replaced GITHUB_TOKEN (version 2).");
    assertThat(new String(f.decryptStored("alice", "GITHUB_TOKEN"), StandardCharsets.UTF_8))
        .isEqualTo(v2);

    byte[] binary = new byte[300];
    for (int i = 0; i < binary.length; i++) {
      binary[i] = (byte) (i * 7);
    }
    File keytab = dir.resolve("user.keytab").toFile();
    Files.write(keytab.toPath(), binary);
    byId("name").sendKeys("user.keytab");
    byId("file").sendKeys(keytab.getAbsolutePath());
    byId("name").sendKeys(Keys.ENTER);
    awaitText("status", "Created user.keytab (version 1).");
    assertThat(f.decryptStored("alice", "user.keytab")).isEqualTo(binary);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rows"), "user.keytab"));
    assertThat(text("rows")).contains("GITHUB_TOKEN 2").doesNotContain("alice-ns/nb");

    // A session took version 2: the list says when and where, and deleting it asks with that.
    Instant used = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusMillis(1500);
    f.store.recordUse("alice", List.of("GITHUB_TOKEN"), used);
    f.sessionWithSnapshot(
        "alice-ns", "nb", "alice", List.of(new MountedSecret("GITHUB_TOKEN", 2L, null)));
    wait.until(
        d -> {
          byId("refresh").click();
          return text("rows").contains(used.truncatedTo(ChronoUnit.SECONDS) + " alice-ns/nb");
        });
    assertThat(text("rows"))
        .contains("user.keytab 1")
        .containsPattern("user.keytab 1 \\S+ never none");
    screenshot("6-list");
    browser.findElement(By.cssSelector("button[aria-label='Delete GITHUB_TOKEN']")).click();
    Alert ask = wait.until(ExpectedConditions.alertIsPresent());
    assertThat(ask.getText()).contains("Delete GITHUB_TOKEN? It is in use by alice-ns/nb.");
    ask.dismiss();

    browser.findElement(By.cssSelector("button[aria-label='Delete user.keytab']")).click();
    wait.until(ExpectedConditions.alertIsPresent()).accept();
    awaitText("status", "Deleted user.keytab.");
    wait.until(
        ExpectedConditions.not(
            ExpectedConditions.textToBePresentInElementLocated(By.id("rows"), "user.keytab")));
    assertThat(f.store.list("alice")).extracting(m -> m.name()).containsExactly("GITHUB_TOKEN");
    screenshot("7-deleted");
  }

  @Test
  @Order(5)
  void noValueIsLeftInTheDomStorageCookiesOrConsole() {
    JavascriptExecutor js = (JavascriptExecutor) browser;
    String everything =
        browser.getPageSource()
            + js.executeScript(
                "return JSON.stringify(Object.entries(localStorage))"
                    + " + JSON.stringify(Object.entries(sessionStorage)) + document.cookie"
                    + " + Array.from(document.querySelectorAll('input, textarea'))"
                    + ".map(e => e.value).join('|')");
    StringBuilder console = new StringBuilder();
    for (LogEntry e : browser.manage().logs().get(LogType.BROWSER)) {
      console.append(e.getMessage()).append('\n');
    }
    assertThat(values).hasSize(2);
    for (String v : values) {
      assertThat(everything).as("a value left in the page").doesNotContain(v);
      assertThat(console.toString()).as("a value in the console").doesNotContain(v);
    }
    assertThat(everything).doesNotContain(token);
    assertThat(console.toString()).doesNotContain("Content Security Policy");
  }

  @Test
  @Order(6)
  void anUnreachableApiIsSaidAndSigningOutForgetsTheTokenAndWhatWasTyped() throws Exception {
    // No answer at all (offline): the page says so instead of doing nothing.
    ChromeDriver chrome = (ChromeDriver) browser;
    chrome.executeCdpCommand("Network.enable", java.util.Map.of());
    chrome.executeCdpCommand(
        "Network.emulateNetworkConditions",
        java.util.Map.of(
            "offline", true, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    try {
      byId("refresh").click();
      awaitText("error", "the API could not be reached");
    } finally {
      chrome.executeCdpCommand(
          "Network.emulateNetworkConditions",
          java.util.Map.of(
              "offline", false, "latency", 0, "downloadThroughput", -1, "uploadThroughput", -1));
    }
    byId("refresh").click();
    wait.until(ExpectedConditions.invisibilityOfElementLocated(By.id("error")));
    assertThat(browser.findElements(By.cssSelector("#rows tr"))).isNotEmpty();
    String typed = "typed-not-sent-" + java.util.UUID.randomUUID();
    byId("name").sendKeys("unsent-name");
    byId("value").sendKeys(typed);
    byId("signout").click();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("signin")));
    awaitText("status", "Signed out.");
    assertThat(byId("secrets").isDisplayed()).isFalse();
    // Nothing of the user is left in the page for whoever signs in next.
    assertThat(byId("name").getAttribute("value")).isEmpty();
    assertThat(byId("value").getAttribute("value")).isEmpty();
    assertThat(browser.findElements(By.cssSelector("#rows tr"))).isEmpty();
    assertThat(browser.getPageSource()).doesNotContain(typed).doesNotContain("unsent-name");
    browser.navigate().refresh();
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    assertThat(byId("secrets").isDisplayed()).isFalse();
  }

  /**
   * Behind an authenticating proxy (here a small forwarding proxy that adds the user's bearer
   * token, as oauth2-proxy does after its sign-in), the page is signed in at once and offers no
   * sign-out of its own.
   */
  @Test
  @Order(7)
  void behindAnAuthenticatingProxyThePageIsSignedInAtOnce() throws Exception {
    String proxied = f.userToken("bob");
    var http = java.net.http.HttpClient.newHttpClient();
    var proxy =
        com.sun.net.httpserver.HttpServer.create(
            new java.net.InetSocketAddress(java.net.InetAddress.getLoopbackAddress(), 0), 0);
    proxy.createContext(
        "/",
        exchange -> {
          try (exchange) {
            byte[] body = exchange.getRequestBody().readAllBytes();
            var request =
                java.net.http.HttpRequest.newBuilder(f.uri(exchange.getRequestURI().getRawPath()))
                    .method(
                        exchange.getRequestMethod(),
                        body.length == 0
                            ? java.net.http.HttpRequest.BodyPublishers.noBody()
                            : java.net.http.HttpRequest.BodyPublishers.ofByteArray(body))
                    .header("Authorization", "Bearer " + proxied);
            String type = exchange.getRequestHeaders().getFirst("Content-Type");
            if (type != null) {
              request.header("Content-Type", type);
            }
            var response =
                http.send(request.build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
            response
                .headers()
                .map()
                .forEach(
                    (k, v) -> {
                      if (!k.equalsIgnoreCase("content-length")
                          && !k.equalsIgnoreCase("transfer-encoding")
                          && !k.equalsIgnoreCase("connection")) {
                        exchange.getResponseHeaders().put(k, v);
                      }
                    });
            byte[] out = response.body();
            exchange.sendResponseHeaders(response.statusCode(), out.length == 0 ? -1 : out.length);
            if (out.length > 0) {
              exchange.getResponseBody().write(out);
            }
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        });
    proxy.start();
    try {
      browser.get("http://127.0.0.1:" + proxy.getAddress().getPort() + "/");
      awaitText("status", "Signed in through your sign-in proxy.");
      assertThat(byId("secrets").isDisplayed()).isTrue();
      assertThat(byId("signin").isDisplayed()).isFalse();
      assertThat(byId("signout").isDisplayed()).isFalse();
      String v = value("proxied");
      save("VIA_PROXY", v);
      awaitText("status", "Created VIA_PROXY (version 1).");
      assertThat(new String(f.decryptStored("bob", "VIA_PROXY"), StandardCharsets.UTF_8))
          .isEqualTo(v);
      assertThat(browser.getPageSource()).doesNotContain(v).doesNotContain(proxied);
    } finally {
      proxy.stop(0);
    }
  }

  @Test
  @Order(8)
  void anAxeAuditFindsNoWcagViolationInAnyState() throws Exception {
    browser.get(f.uri("/").toString());
    wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("token")));
    assertAccessible("signed out");
    byId("token").sendKeys("not-a-token", Keys.ENTER);
    awaitText("error", "Your token was refused");
    assertAccessible("a refused token");
    byId("token").sendKeys(f.userToken("alice"), Keys.ENTER);
    wait.until(ExpectedConditions.textToBePresentInElementLocated(By.id("rows"), "GITHUB_TOKEN"));
    assertAccessible("signed in, with the list");
    byId("name").sendKeys("../etc", Keys.ENTER);
    awaitText("name-error", "name may contain only letters");
    assertAccessible("a field in error");

    // The audit sees what it must: a field without a label, put in by hand, is reported.
    ((JavascriptExecutor) browser)
        .executeScript(
            "const i = document.createElement('input'); i.id = 'unlabelled';"
                + " document.getElementById('secrets').append(i);");
    assertThat(axeViolations()).contains("\"id\":\"label\"", "#unlabelled");
  }

  /**
   * Runs axe-core (Deque's engine, as browsers' accessibility tools do) on the page as it is: no
   * violation of WCAG 2.0/2.1 level A or AA. (The script is put in through the driver, not the
   * page: the page's policy allows no script but its own.)
   */
  private void assertAccessible(String state) throws Exception {
    assertThat(axeViolations()).as("axe-core violations, " + state).isEqualTo("[]");
  }

  /** The violations axe-core finds, as JSON: rule id, impact, help and the elements. */
  private String axeViolations() throws Exception {
    String axe;
    try (var in = SecretsPageTest.class.getResourceAsStream("/axe.min.js")) {
      axe = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    JavascriptExecutor js = (JavascriptExecutor) browser;
    js.executeScript(axe);
    Object violations =
        js.executeAsyncScript(
            "const done = arguments[arguments.length - 1];"
                + "axe.run(document, {runOnly: {type: 'tag',"
                + " values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})"
                + ".then(r => done(JSON.stringify(r.violations.map(v =>"
                + " ({id: v.id, impact: v.impact, help: v.help,"
                + " nodes: v.nodes.map(n => n.target.join(' '))})))),"
                + " e => done('axe failed: ' + e));");
    return String.valueOf(violations);
  }
}
