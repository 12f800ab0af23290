package dev.signet.api;

import dev.signet.spi.testing.RealBackends;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The key timeline in a real browser: Debian's headless Chromium, driven by its chromedriver through Selenium,
 * logs in through the form of a running daemon and reads the rendered page; the screenshot is kept as
 * {@code api/target/ui/key-timeline*.png}. Without chromium and chromedriver it skips locally and fails in CI.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class KeyTimelineBrowserTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "ui");

    Path dir;
    TestDaemon signet;
    ChromeDriver browser;

    @BeforeAll
    void start() throws IOException {
        RealBackends.require(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "headless Chromium and its driver", "apt-get install chromium chromium-driver");
        dir = Files.createTempDirectory("signet-ui-test");
        signet = new TestDaemon(dir.resolve("data"));
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1100,900", "--user-data-dir=" + dir.resolve("profile"));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
                .withLogFile(dir.resolve("chromedriver.log").toFile()).build();
        browser = new ChromeDriver(service, options);
        browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
    }

    @AfterAll
    void stop() throws IOException {
        if (browser != null) {
            browser.quit();
        }
        if (signet != null) {
            signet.close();
        }
        if (dir != null) {
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }

    /** Loads /ui afresh and logs in through the form, as a person would. */
    void logIn() {
        browser.manage().deleteAllCookies();
        browser.get(signet.adminBase() + "/ui");
        browser.findElement(By.id("credential")).sendKeys(TestDaemon.ADMIN);
        browser.findElement(By.cssSelector("#login button[type=submit]")).click();
        poll(() -> !browser.findElements(By.id("timeline")).isEmpty(), "the timeline after logging in");
    }

    /** The page loads synchronously; poll anyway, with a deadline far beyond what it needs. */
    static void poll(Supplier<Boolean> done, String what) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!done.get()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("no " + what + " within 30 s");
            }
            Thread.onSpinWait();
        }
    }

    Map<String, String> barStates() {
        return browser.findElements(By.cssSelector("#timeline g.key")).stream().collect(Collectors.toMap(
                g -> g.getDomAttribute("data-kid"), g -> g.getDomAttribute("data-state")));
    }

    double attr(WebElement e, String name) {
        return Double.parseDouble(e.getDomAttribute(name));
    }

    void screenshot(String name) throws IOException {
        Files.createDirectories(SHOTS);
        byte[] png = browser.getScreenshotAs(OutputType.BYTES);
        assertTrue(png.length > 1000 && png[1] == 'P' && png[2] == 'N' && png[3] == 'G', "a PNG");
        Files.write(SHOTS.resolve(name), png);
    }

    @Test
    @Order(1)
    void logsInThroughTheFormAndSeesTheActiveKeyAsABarCrossingTheNowLine() throws IOException {
        logIn();
        assertEquals("Signet key timeline", browser.getTitle());
        Map<String, String> bars = barStates();
        assertEquals(1, bars.size(), bars.toString());
        assertEquals("ACTIVE", bars.values().iterator().next());

        WebElement active = browser.findElement(By.cssSelector("#timeline g.key[data-state=ACTIVE] rect.seg-active"));
        WebElement now = browser.findElement(By.id("now-line"));
        double nowX = attr(now, "x1");
        assertTrue(attr(active, "x") <= nowX && nowX <= attr(active, "x") + attr(active, "width"),
                "the active bar spans now: " + active.getDomAttribute("x") + "+" + active.getDomAttribute("width")
                        + " vs " + nowX);
        // The stylesheet applies under the page's CSP (its hash is right): the bar is painted the active colour.
        assertEquals("rgb(47, 158, 91)", active.getCssValue("fill"));
        assertTrue(now.isDisplayed());
        assertTrue(browser.findElement(By.cssSelector("#backend .health")).getText().contains("healthy"));
        assertEquals("closed", browser.findElement(By.id("circuit")).getText());
        assertTrue(browser.findElement(By.id("next")).getText().contains("retired"), "the next transition is listed");
        // HttpOnly: the page's own script could not read the session (there is none, but a stray one could not).
        assertEquals("", browser.executeScript("return document.cookie;"));
        screenshot("key-timeline.png");
    }

    @Test
    @Order(2)
    void aRotationThroughTheAdminApiShowsTheNextKeysBarPreparedThenTakingOver() throws IOException {
        logIn();
        Set<String> before = barStates().keySet();
        HttpResponse<String> rotated = signet.send(HttpRequest.newBuilder(URI.create(signet.adminBase()
                        + "/v1/keys/rotate")).header("Authorization", "Bearer " + TestDaemon.ADMIN)
                .POST(HttpRequest.BodyPublishers.noBody()).build());
        assertEquals(200, rotated.statusCode(), rotated.body());

        browser.navigate().refresh();
        poll(() -> barStates().size() == before.size() + 1, "a new bar after the rotation");
        Map<String, String> after = barStates();
        List<String> fresh = after.keySet().stream().filter(k -> !before.contains(k)).toList();
        assertEquals(1, fresh.size());
        assertEquals("PREPARED", after.get(fresh.getFirst()), "published one lead before it signs: " + after);
        String old = before.iterator().next();
        assertEquals("ACTIVE", after.get(old), "the old key signs until then: " + after);

        double nowX = attr(browser.findElement(By.id("now-line")), "x1");
        WebElement next = browser.findElement(By.cssSelector("g.key[data-kid='" + fresh.getFirst() + "']"));
        WebElement prepared = next.findElement(By.cssSelector("rect.seg-prepared"));
        WebElement takesOver = next.findElement(By.cssSelector("rect.seg-active"));
        WebElement oldActive = browser.findElement(By.cssSelector("g.key[data-kid='" + old + "'] rect.seg-active"));
        assertTrue(Math.abs(attr(prepared, "x") - nowX) < 2, "prepared from now");
        assertTrue(attr(takesOver, "x") > nowX, "active later");
        assertEquals(attr(oldActive, "x") + attr(oldActive, "width"), attr(takesOver, "x"), 0.2,
                "the old key's active stretch ends where the new one's begins");
        assertEquals("rgb(143, 184, 232)", prepared.getCssValue("fill"));
        assertTrue(browser.findElement(By.id("next")).getText().contains(fresh.getFirst()));
        screenshot("key-timeline-rotated.png");
    }
}
