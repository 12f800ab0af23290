package dev.signet.api;

import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.io.ByteArrayOutputStream;

/** The body a test sent, read back from its {@link HttpRequest.BodyPublisher} (in-memory publishers replay). */
final class RequestBodyText {

    private RequestBodyText() {
    }

    static String of(HttpRequest request) {
        var publisher = request.bodyPublisher();
        if (publisher.isEmpty() || publisher.get().contentLength() == 0) {
            return null;
        }
        CompletableFuture<String> text = new CompletableFuture<>();
        publisher.get().subscribe(new Flow.Subscriber<>() {
            private final ByteArrayOutputStream out = new ByteArrayOutputStream();

            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer b) {
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                out.writeBytes(bytes);
            }

            @Override
            public void onError(Throwable t) {
                text.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                text.complete(out.toString(StandardCharsets.UTF_8));
            }
        });
        try {
            return text.get(10, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | TimeoutException e) {
            throw new AssertionError("cannot read back the request body", e);
        }
    }
}
