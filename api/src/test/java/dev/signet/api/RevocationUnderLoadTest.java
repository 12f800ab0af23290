package dev.signet.api;

import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jwt.SignedJWT;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import static dev.signet.api.Delegates.ENDPOINT;
import static dev.signet.api.Delegates.form;
import static dev.signet.api.Delegates.jkt;
import static dev.signet.api.Delegates.newKey;
import static dev.signet.api.Delegates.post;
import static dev.signet.api.Delegates.proof;
import static dev.signet.api.TestDaemon.ALPHA;
import static dev.signet.api.TestDaemon.BETA;
import static dev.signet.api.TestDaemon.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Revoke each kind (jti, task, sub, client_id, a delegation subtree) while minting threads go on: every token a
 * rule covers reads revoked in the served list within the bound, and no other token does.
 */
class RevocationUnderLoadTest {

    private static final int THREADS = 3;

    @TempDir
    Path dir;

    /** A token as issued: what the rules match on, and where its bit is. */
    record Issued(String jti, String uri, int idx, String sub, String task, String client, String parentJti) {
    }

    static Issued issued(String token, String client) throws Exception {
        var claims = SignedJWT.parse(token).getJWTClaimsSet();
        @SuppressWarnings("unchecked")
        Map<String, Object> sl = (Map<String, Object>) claims.getJSONObjectClaim("status").get("status_list");
        Object act = claims.getClaim("signet_parent_jti");
        return new Issued(claims.getJWTID(), (String) sl.get("uri"), ((Number) sl.get("idx")).intValue(),
                claims.getSubject(), claims.getStringClaim("task"), client, act instanceof String s ? s : null);
    }

    @Test
    void eachKindRevokedWhileMintingGoesOnReadsRevokedAndNoOtherTokenDoes() throws Exception {
        Map<String, String> c = new HashMap<>();
        c.put("signet.minters.0.delegation.max-depth", "3");
        Clock clock = Clock.systemUTC();
        try (TestDaemon d = new TestDaemon(dir, c)) {
            // A delegation subtree: root -> child -> grandchild, and a sibling root with the same sub and task.
            ECKey holder = newKey();
            ECKey k1 = newKey();
            ECKey k2 = newKey();
            String root = mint(d, ALPHA, "tree-agent", "tree", jkt(holder));
            String child = exchange(d, root, holder, k1, "sub-agent-1");
            String grandchild = exchange(d, child, k1, k2, "sub-agent-2");
            List<Issued> all = new ArrayList<>(List.of(issued(root, "alpha"), issued(child, "alpha"),
                    issued(grandchild, "alpha"), issued(mint(d, ALPHA, "tree-agent", "tree", null), "alpha")));

            ConcurrentLinkedQueue<Issued> load = new ConcurrentLinkedQueue<>();
            AtomicBoolean stop = new AtomicBoolean();
            AtomicInteger counter = new AtomicInteger();
            ExecutorService pool = Executors.newFixedThreadPool(THREADS);
            List<Future<?>> minters = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                minters.add(pool.submit(() -> {
                    while (!stop.get()) {
                        int i = counter.getAndIncrement();
                        boolean beta = i % 5 == 0;
                        String sub = "s" + i % 4;
                        String task = "t" + i / 5 % 4;
                        HttpResponse<String> r = beta
                                ? d.mint(BETA, body(sub, task, "https://beta.example", "repo:beta/x"))
                                : d.mint(ALPHA, body(sub, task, "https://alpha.example", "repo:alpha/x"));
                        if (r.statusCode() == 201) {
                            load.add(issued((String) json(r).get("token"), beta ? "beta" : "alpha"));
                        } else {
                            // a rule in force refuses new tokens it covers (403); nothing else may fail
                            assertEquals(403, r.statusCode(), r.body());
                        }
                    }
                    return null;
                }));
            }
            try {
                awaitCount(load, 150);
                Issued byJti = load.stream().filter(x -> x.client().equals("alpha") && x.sub().equals("s2")
                        && x.task().equals("t2")).findFirst().orElseThrow();
                revoke(d, "jti", byJti.jti());
                revoke(d, "task", "t0");
                revoke(d, "sub", "s1");
                revoke(d, "client_id", "beta");
                revoke(d, "jti", issued(root, "alpha").jti());
                int atLastRule = load.size();
                awaitCount(load, atLastRule + 100); // minting goes on after the rules
                stop.set(true);
                for (Future<?> f : minters) {
                    f.get();
                }
                all.addAll(load);

                Set<String> revokedJtis = new HashSet<>(Set.of(byJti.jti(), issued(root, "alpha").jti()));
                Set<Issued> expected = new HashSet<>();
                for (Issued x : all) { // in issue order: parents before children
                    if (revokedJtis.contains(x.jti()) || "t0".equals(x.task()) || "s1".equals(x.sub())
                            || "beta".equals(x.client()) || (x.parentJti() != null && revokedJtis.contains(x.parentJti()))) {
                        expected.add(x);
                        revokedJtis.add(x.jti());
                    }
                }
                assertTrue(expected.size() > 30 && expected.size() < all.size() - 30, expected.size() + " of " + all.size());
                assertTrue(expected.containsAll(all.subList(0, 3)) && !expected.contains(all.get(3)),
                        "the subtree is revoked, its sibling root is not");

                long t0 = System.nanoTime();
                long deadline = t0 + Duration.ofSeconds(60).toNanos(); // the bound is 5 s; many times it
                Map<String, byte[]> lists = new HashMap<>();
                while (true) {
                    lists.clear();
                    for (Issued x : all) {
                        if (!lists.containsKey(x.uri())) {
                            lists.put(x.uri(), RevocationApiTest.bits(d, x.uri()));
                        }
                    }
                    if (expected.stream().allMatch(x -> RevocationApiTest.bit(lists.get(x.uri()), x.idx()))) {
                        break;
                    }
                    assertTrue(System.nanoTime() < deadline, "revoked tokens still read unrevoked");
                    Thread.sleep(100);
                }
                System.out.printf("%d of %d tokens revoked under load; every one reads revoked %d ms after the"
                        + " last rule's answer%n", expected.size(), all.size(), (System.nanoTime() - t0) / 1_000_000);
                for (Issued x : all) {
                    assertEquals(expected.contains(x), RevocationApiTest.bit(lists.get(x.uri()), x.idx()), x.toString());
                }
            } finally {
                stop.set(true);
                pool.shutdownNow();
            }
        }
    }

    private static String body(String sub, String task, String aud, String resource) {
        return "{\"sub\":\"" + sub + "\",\"aud\":\"" + aud + "\",\"ttl\":120,\"task\":\"" + task
                + "\",\"scope\":[{\"resource\":\"" + resource + "\",\"actions\":[\"read\"]}]}";
    }

    private static String mint(TestDaemon d, String credential, String sub, String task, String jkt) {
        String body = body(sub, task, "https://alpha.example", "repo:alpha/x");
        if (jkt != null) {
            body = body.substring(0, body.length() - 1) + ",\"cnf\":{\"jkt\":\"" + jkt + "\"}}";
        }
        HttpResponse<String> r = d.mint(credential, body);
        assertEquals(201, r.statusCode(), r.body());
        return (String) json(r).get("token");
    }

    private static String exchange(TestDaemon d, String subject, ECKey holder, ECKey child, String actor) {
        Clock clock = Clock.systemUTC();
        HttpResponse<String> r = post(d, form(subject, child, clock, actor), proof(holder, clock, "POST", ENDPOINT, subject));
        assertEquals(200, r.statusCode(), r.body());
        return (String) json(r).get("access_token");
    }

    private static void revoke(TestDaemon d, String kind, String value) {
        HttpResponse<String> r = RevocationApiTest.admin(d, "POST", "/v1/revocations",
                "{\"" + kind + "\":\"" + value + "\"}");
        assertEquals(201, r.statusCode(), r.body());
    }

    private static void awaitCount(ConcurrentLinkedQueue<Issued> load, int n) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (load.size() < n) {
            assertTrue(System.nanoTime() < deadline, "minting stalled at " + load.size());
            Thread.sleep(20);
        }
    }
}
