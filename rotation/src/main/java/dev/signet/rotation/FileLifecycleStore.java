package dev.signet.rotation;

import dev.signet.spi.SignetException;
import dev.signet.spi.StateFiles;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * The journal as a file {@value #JOURNAL} in a directory of the data dir, for replicas on one host.
 * It is replaced atomically ({@link StateFiles#write}), so a crash leaves the old or the new journal, never a
 * mix; processes and threads take turns through {@link StateFiles#lock} on {@value #LOCK_FILE}.
 */
public final class FileLifecycleStore implements LifecycleStore {

    static final String JOURNAL = "keyset";
    static final String LOCK_FILE = "keyset.lock";
    /** Written before the first journal, never removed by Signet: the issuer existed here. */
    static final String MARKER = "issuer-started";

    private final Path journal;
    private final Path lockFile;
    private final Path marker;

    /**
     * @param directory one directory per issuer; created if missing
     * @throws SignetException UNAVAILABLE if it cannot be created
     */
    public FileLifecycleStore(Path directory) {
        try {
            StateFiles.createDirectories(directory);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot create " + directory, e);
        }
        Path dir = directory.toAbsolutePath().normalize();
        this.journal = dir.resolve(JOURNAL);
        this.lockFile = dir.resolve(LOCK_FILE);
        this.marker = dir.resolve(MARKER);
    }

    @Override
    public boolean issuerStarted() {
        return Files.exists(marker) || Files.exists(journal);
    }

    @Override
    public KeySet load() {
        String text;
        try {
            text = Files.readString(journal, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            return KeySet.empty();
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot read " + journal, e);
        }
        try {
            return KeySetCodec.decode(text);
        } catch (RuntimeException e) {
            throw new SignetException(SignetException.Code.INTERNAL, "damaged key journal " + journal + ": "
                    + e.getMessage() + ". Signet will not start over on its own: restore the journal from a backup"
                    + " (ops/RUNBOOK.md, \"The key journal is missing or damaged\")", e);
        }
    }

    @Override
    public void compareAndSet(long expectedVersion, KeySet next) {
        if (next.version() != expectedVersion + 1) {
            throw new SignetException(SignetException.Code.INVALID_ARGUMENT,
                    "next version " + next.version() + " does not follow " + expectedVersion);
        }
        Lock lock = lock();
        try {
            long current = load().version();
            if (current != expectedVersion) {
                throw new SignetException(SignetException.Code.FAILED_PRECONDITION,
                        "key journal is at version " + current + ", not " + expectedVersion);
            }
            if (!Files.exists(marker)) {
                writeMarker();
            }
            write(KeySetCodec.encode(next));
        } finally {
            lock.close();
        }
    }

    private void writeMarker() {
        try {
            StateFiles.writeString(marker, "An issuer's key journal (" + JOURNAL + ") was started in this"
                    + " directory. If the journal is missing, restore it; to start a new issuer on purpose, run"
                    + " signet serve --init-issuer.\n");
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + marker, e);
        }
    }

    private void write(String text) {
        try {
            StateFiles.writeString(journal, text);
        } catch (IOException e) {
            throw new SignetException(SignetException.Code.UNAVAILABLE, "cannot write " + journal, e);
        }
    }

    @Override
    public Lock lock() {
        return StateFiles.lock(lockFile, StateFiles.LOCK_TIMEOUT)::close;
    }

    @Override
    public String toString() {
        return "FileLifecycleStore[" + journal + "]";
    }
}
