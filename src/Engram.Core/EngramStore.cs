using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core.Provenance;
using Engram.Core.Storage;
using Engram.Core.Values;

namespace Engram.Core
{
    /// <summary>What to write with <see cref="EngramStore.Set"/>.</summary>
    public sealed class SetRequest
    {
        public SetRequest(string ns, string key, object? value)
        {
            Namespace = ns;
            Key = key;
            Value = value;
        }

        public string Namespace { get; }
        public string Key { get; }
        public object? Value { get; }
        /// <summary>New tags; null keeps the memory's current tags.</summary>
        public IReadOnlyList<string>? Tags { get; set; }
        public string? Actor { get; set; }
        public string? Reason { get; set; }
        /// <summary>Force provenance on (true) or off (false); null follows the store policy.</summary>
        public bool? TrackProvenance { get; set; }
        /// <summary>Provenance action; null means created/revised as appropriate.</summary>
        public string? Action { get; set; }
        /// <summary>The branch to write on; null or "main" for the main line.</summary>
        public string? Branch { get; set; }
        /// <summary>Structured details recorded in the provenance entry (covered by its hash).</summary>
        public EngramMap? Details { get; set; }
        /// <summary>Memories this value was derived from; each is pinned to an exact version in the entry.</summary>
        public IReadOnlyList<MemoryRef>? DerivedFrom { get; set; }
        /// <summary>How sure the actor is of the new value, 0..1.</summary>
        public double? Confidence { get; set; }
        /// <summary>A conditional write: the memory's current version must be this one (0: it must not exist), else the
        /// write is refused with <c>VersionConflict</c>. Checked under the store's write lock (see <see cref="ConditionalWrite"/>).</summary>
        public int? ExpectedVersion { get; set; }

        /// <summary>True when the request carries provenance that only a tracked memory can hold.</summary>
        internal bool IsCognitive => Action != null || Confidence != null || (DerivedFrom != null && DerivedFrom.Count > 0);
    }

    /// <summary>The outcome of <see cref="EngramStore.Set"/>.</summary>
    public sealed class SetResult
    {
        internal SetResult(MemoryRecord memory, bool changed, ProvenanceEntry? entry)
        {
            Memory = memory;
            Changed = changed;
            Entry = entry;
        }

        public MemoryRecord Memory { get; }
        /// <summary>False when the same value and tags were already stored (no new version, no history entry).</summary>
        public bool Changed { get; }
        /// <summary>The provenance entry written, when the memory is tracked and changed.</summary>
        public ProvenanceEntry? Entry { get; }
    }

    /// <summary>A namespace and what is in it.</summary>
    public sealed class NamespaceInfo
    {
        internal NamespaceInfo(string name, bool tracked, int count, bool standard, bool exists)
        {
            Name = name;
            Tracked = tracked;
            MemoryCount = count;
            IsStandard = standard;
            Exists = exists;
        }

        public string Name { get; }
        /// <summary>Whether new memories in it are tracked by default.</summary>
        public bool Tracked { get; }
        public int MemoryCount { get; }
        public bool IsStandard { get; }
        /// <summary>Whether its folder exists (standard namespaces are listed before their first memory).</summary>
        public bool Exists { get; }
    }

    /// <summary>A memory found by listing: its key and file, before the file is read.</summary>
    public sealed class MemoryLocation
    {
        public MemoryLocation(string ns, string? key, string path)
        {
            Namespace = ns;
            Key = key;
            Path = path;
        }

        public string Namespace { get; }
        /// <summary>Null when the file name is a hashed long key: read the file to learn it.</summary>
        public string? Key { get; }
        public string Path { get; }
    }

    /// <summary>A write request, checked and normalized before anything is touched (the same rules on every backend).</summary>
    internal sealed class CheckedWrite
    {
        public string Namespace = "";
        public string Branch = Names.DefaultBranch;
        public string Key = "";
        public IReadOnlyList<string>? Tags;
        public string Actor = "";
        private string? _contentHash;
        private System.Threading.Tasks.Task<string>? _hashing;

        /// <summary>The value's content hash (waits for the worker computing it, and throws its error, if any).</summary>
        public string ContentHash
        {
            get
            {
                if (_contentHash != null) return _contentHash;
                try { return _contentHash = _hashing!.GetAwaiter().GetResult(); }
                finally { _hashing = null; }
            }
            set { _contentHash = value; _hashing = null; }
        }

        /// <summary>True while the hash is still being computed on a worker thread.</summary>
        public bool HashPending => _contentHash == null && _hashing != null && !_hashing.IsCompleted;

        /// <summary>Hashes a large string on a worker thread, so that a file-store write overlaps it with its I/O.</summary>
        public void StartHashing(string value)
        {
            var delay = WorkerDelay;
            _hashing = System.Threading.Tasks.Task.Run(() =>
            {
                delay?.Invoke();
                return ValueCodec.ContentHash(value);
            });
        }

        /// <summary>Tests: runs on the worker before it hashes (set on the writing thread), to make the overlap certain.</summary>
        [ThreadStatic] internal static Action? WorkerDelay;
    }

    /// <summary>Options that are not part of the on-disk configuration.</summary>
    public sealed class EngramStoreOptions
    {
        /// <summary>How long a writer waits for the store lock.</summary>
        public TimeSpan LockTimeout { get; set; } = TimeSpan.FromSeconds(30);
    }

    /// <summary>
    /// An Engram store on disk. Reads never lock and never open provenance files; writes take the store's
    /// cross-process lock, write files to temp and rename them into place, and keep memory file and provenance
    /// entry consistent (the entry is appended first; if the memory file cannot be replaced the entry is cut off again,
    /// and an entry left dangling by a crash is cut off by the next writer).
    /// </summary>
    public sealed partial class EngramStore : IEngramBackend
    {
        private readonly EngramStoreOptions _options;
        private readonly StorePaths _paths;
        private StoreConfig? _config;

        public EngramStore(string root, EngramStoreOptions? options = null)
        {
            if (string.IsNullOrWhiteSpace(root))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, "The store path cannot be empty.", root);
            try { Root = Path.GetFullPath(root); }
            catch (Exception ex) when (ex is ArgumentException || ex is NotSupportedException || ex is PathTooLongException)
            {
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, $"'{root}' is not a valid store path: {ex.Message}", root, ex);
            }
            _options = options ?? new EngramStoreOptions();
            _paths = new StorePaths(Root);
        }

        /// <summary>The store at the default location (see <see cref="StoreLocator.DefaultRoot"/>).</summary>
        public static EngramStore OpenDefault(EngramStoreOptions? options = null) => new EngramStore(StoreLocator.DefaultRoot(), options);

        public string Root { get; }

        /// <summary>"file": YAML files in a folder.</summary>
        public string Backend => "file";

        /// <summary>
        /// Test hook: called at each step of a multi-file transaction ("staged", "intent-written", "committed",
        /// "applied-N", "before-cleanup") and of a single write ("prov-appended"). Throwing there rolls the change back;
        /// throwing <see cref="SimulatedCrashException"/> leaves the files as a killed process would.
        /// </summary>
        public Action<string>? FaultHook { get; set; }

        /// <summary>Transactions finished or discarded by the last writer that found them interrupted.</summary>
        public IReadOnlyList<Transaction.RecoveryAction> LastRecovery { get; private set; } = Array.Empty<Transaction.RecoveryAction>();

        public string ConfigPath => Path.Combine(Root, StoreConfig.FileName);

        private string TempDir => _paths.Proven(Path.Combine(Root, "_tmp"));

        /// <summary>True when the root holds an engram.yaml.</summary>
        public bool Exists => File.Exists(ConfigPath);

        /// <summary>The store configuration (defaults when the store does not exist yet).</summary>
        public StoreConfig Config
        {
            get
            {
                if (_config != null) return _config;
                return _config = File.Exists(ConfigPath) ? StoreConfig.Parse(ReadConfigText(), ConfigPath) : new StoreConfig();
            }
        }

        /// <summary>engram.yaml's text (proven: not a link).</summary>
        private string ReadConfigText() => FileOps.ReadAllText(_paths.Proven(ConfigPath));

        // ------------------------------------------------------------------ paths
        // Every path is proven before it is handed out (StorePaths: inside the store, no link on the way); a path
        // found by listing is proven before it is read.

        public string MemoryPath(string ns, string key) =>
            _paths.Proven(Path.Combine(Root, Names.NormalizeNamespace(ns), Names.EncodeKey(key) + ".yaml"));

        public string ProvenancePath(string ns, string key) =>
            _paths.Proven(Path.Combine(Root, Names.ProvenanceNamespace, Names.NormalizeNamespace(ns), Names.EncodeKey(key) + ".prov"));

        // ------------------------------------------------------------------ store lifecycle

        /// <summary>Creates the store with <paramref name="config"/>. An existing store is refused unless
        /// <paramref name="force"/>, which rewrites its configuration (memories are untouched; retention and embeddings
        /// settings that <paramref name="config"/> leaves at their defaults are kept).</summary>
        public StoreConfig Initialize(StoreConfig? config = null, bool force = false)
        {
            config = config ?? new StoreConfig();
            if (File.Exists(Root))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, $"'{Root}' is a file, not a folder.", Root);
            if (File.Exists(ConfigPath)) _ = StoreConfig.Parse(ReadConfigText(), ConfigPath); // a newer format is refused before anything (even _lock) is created
            Directory.CreateDirectory(Root);
            using (StoreLock.Acquire(Root, _options.LockTimeout))
            {
                if (File.Exists(ConfigPath))
                {
                    var existing = StoreConfig.Parse(ReadConfigText(), ConfigPath); // refuses newer formats
                    if (!force) throw StoreErrors.StoreExists(Root);
                    config.KeepSectionsOf(existing);
                }
                FileOps.WriteAtomic(ConfigPath, config.ToYaml(), TempDir, config.Durability);
                _config = config;
                return config;
            }
        }

        /// <summary>Throws StoreNotFound unless the store exists (for read operations).</summary>
        public void EnsureExists()
        {
            if (!Exists) throw StoreErrors.StoreMissing(Root);
            _ = Config; // validates format
        }

        /// <param name="quarantineCorrupt">Test-EngramStore -Repair: an interrupted transaction that must not be replayed
        /// is moved to <c>_quarantine/</c> instead of refusing the write (see <see cref="Transaction.Recover"/>).</param>
        internal StoreLock LockForWrite(bool quarantineCorrupt = false)
        {
            if (File.Exists(Root))
                throw new EngramException(EngramErrorIds.InvalidStorePath, EngramErrorKind.InvalidArgument, $"'{Root}' is a file, not a folder.", Root);
            if (File.Exists(ConfigPath)) _ = Config; // a store of a newer format is refused before anything (even _lock) is created
            else Directory.CreateDirectory(Root); // (a store with an engram.yaml has its folder)
            var l = StoreLock.Acquire(Root, _options.LockTimeout);
            try
            {
                if (!File.Exists(ConfigPath))
                {
                    var config = new StoreConfig();
                    FileOps.WriteAtomic(ConfigPath, config.ToYaml(), TempDir, config.Durability);
                    _config = config;
                }
                _ = Config;
                if (StorePaths.Exists(Path.Combine(Root, Transaction.Folder))) // a folder, or a link Recover refuses
                    LastRecovery = Transaction.Recover(_paths, Config.Durability, quarantineCorrupt);
                return l;
            }
            catch
            {
                l.Dispose();
                throw;
            }
        }

        // ------------------------------------------------------------------ reads (no lock, no .prov)

        /// <summary>Reads one memory; null when it does not exist. Never opens provenance.</summary>
        public MemoryRecord? TryGet(string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            var path = MemoryPath(ns, key);
            var text = TryReadText(path);
            return text == null ? null : ParseChecked(text, ns, key, path);
        }

        /// <summary>Parses the memory file of <paramref name="key"/>, which must hold that key.</summary>
        private static MemoryRecord ParseChecked(string text, string ns, string key, string path)
        {
            var m = MemoryFile.Parse(text, ns, path);
            if (!string.Equals(m.Key, key, StringComparison.Ordinal))
                throw MemoryFile.Malformed(path, $"it holds key '{m.Key}', not '{key}'");
            return m;
        }

        /// <summary>Reads one memory; throws MemoryNotFound when it does not exist (StoreNotFound when the store does not).</summary>
        public MemoryRecord Get(string ns, string key)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            EnsureExists(); // like GetProvenance and Remove: StoreNotFound, and a newer store format is refused
            return TryGet(ns, key) ?? throw NotFound(ns, key);
        }

        /// <summary>Reads the memory stored at a listed location.</summary>
        public MemoryRecord Read(MemoryLocation location)
        {
            _paths.Prove(location.Path); // found by listing: proven before it is read
            var text = TryReadText(location.Path) ?? throw NotFound(location.Namespace, location.Key ?? Path.GetFileName(location.Path));
            var m = MemoryFile.Parse(text, location.Namespace, location.Path);
            // Like TryGet: a file must hold the key its name stands for (else one key could be listed twice).
            string? stem;
            try { stem = Names.EncodeKey(m.Key); }
            catch (EngramException) { stem = null; }
            if (!string.Equals(stem, Path.GetFileNameWithoutExtension(location.Path), StringComparison.Ordinal))
                throw MemoryFile.Malformed(location.Path, $"it holds key '{m.Key}', which is not the key its file name stands for");
            return m;
        }

        /// <summary>
        /// The current memory as a writer needs it (under the write lock). A file from <see cref="TrustHeaderFrom"/> up
        /// is read from its header alone when it records its content hash and its value section's size and the size
        /// matches (a hand edit that changed the value's length is noticed and the file is read in full), with the value
        /// loaded only if it is asked for. Smaller files, files from before those fields, and anything unexpected take
        /// the full read.
        /// </summary>
        /// <summary>Memory files at least this large (bytes) are read from their header alone by writers.</summary>
        internal const int TrustHeaderFrom = 8 * 1024;

        /// <param name="path">The memory's path when the caller has just built (and so proven) it.</param>
        internal MemoryRecord? TryGetForWrite(string ns, string key, string? path = null)
        {
            path = path ?? MemoryPath(ns, key);
            FileStream fs;
            try { fs = OpenMemoryFile(path); }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            using (fs)
            {
                long length = fs.Length;
                // A small file is read and hashed in full (tens of µs): a hand edit of its value is always seen, even
                // one that keeps the length (8080 → 9090). Only larger values rely on the header.
                var buf = new byte[length <= TrustHeaderFrom ? (int)length : 4096];
                int filled = 0, valueAt = -1;
                while (true)
                {
                    int n = fs.Read(buf, filled, buf.Length - filled);
                    if (n <= 0) break;
                    filled += n;
                    if (length > TrustHeaderFrom) valueAt = MemoryFile.FindValueLine(buf, filled);
                    if (valueAt >= 0 || filled == length) break;
                    if (filled == buf.Length) Array.Resize(ref buf, (int)Math.Min(length, (long)buf.Length * 2));
                }
                if (valueAt >= 0)
                {
                    MemoryRecord? header = null;
                    string? hash = null;
                    long? valueBytes = null;
                    try { header = MemoryFile.ParseHeader(FileOps.GetString(buf, 0, valueAt), ns, path, out hash, out valueBytes); }
                    catch (EngramException) { header = null; } // the full parse below reports it properly
                    if (header != null && hash != null && valueBytes == length - valueAt && string.Equals(header.Key, key, StringComparison.Ordinal) && !header.Deleted)
                    {
                        string id = header.Id;
                        int version = header.Version;
                        return new MemoryRecord(id, ns, key, () =>
                        {
                            var full = TryGet(ns, key);
                            if (full == null || full.Id != id || full.Version != version)
                                throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                                    $"The memory '{key}' in '{ns}' changed while it was being written; the lock was not respected.", path);
                            return full.Value;
                        }, hash, header.Tags, version, header.CreatedUtc, header.UpdatedUtc);
                    }
                }
                // The whole file, from the stream already open: the part read so far, then the rest.
                CheckFileSize(path, length);
                if (buf.Length < length) Array.Resize(ref buf, (int)length);
                return ParseChecked(FileOps.DecodeText(FileOps.ReadRest(fs, buf, filled)), ns, key, path);
            }
        }

        /// <summary>A memory file's text; null when it does not exist. A file larger than the configuration allows
        /// (<see cref="StoreConfig.MaxMemoryFileBytes"/>: put there by hand) is refused before it is read.</summary>
        private string? TryReadText(string path)
        {
            FileStream fs;
            try { fs = OpenMemoryFile(path); }
            catch (FileNotFoundException) { return null; }
            catch (DirectoryNotFoundException) { return null; }
            using (fs) return FileOps.DecodeText(ReadMemoryBytes(fs, path));
        }

        /// <summary>Opens a memory file for reading while writers may replace it (by rename) or delete it.</summary>
        private static FileStream OpenMemoryFile(string path) =>
            new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1, FileOptions.None);

        /// <summary>A memory file's bytes, after <see cref="CheckFileSize"/>: one larger than the configuration allows is
        /// refused (ValueTooLarge) unread.</summary>
        private byte[] ReadMemoryBytes(FileStream fs, string path)
        {
            long length = fs.Length;
            CheckFileSize(path, length);
            return FileOps.ReadRest(fs, new byte[length], 0);
        }

        /// <summary>Refuses to load a memory file larger than <see cref="StoreConfig.MaxMemoryFileBytes"/> (ValueTooLarge).</summary>
        internal void CheckFileSize(string path, long length)
        {
            var config = Config;
            if (length <= config.MaxMemoryFileBytes) return;
            throw new EngramException(EngramErrorIds.ValueTooLarge, EngramErrorKind.InvalidData,
                $"The memory file '{path}' is {length:N0} bytes, more than a value within the store's limit (maxValueBytes: {config.MaxValueBytes:N0}) can take, so it was not read " +
                $"(Engram never writes such a file: it was put there by other means). Move it out of the store, or raise maxValueBytes in engram.yaml to read it.", path);
        }

        internal static EngramException NotFound(string ns, string key) =>
            new EngramException(EngramErrorIds.MemoryNotFound, EngramErrorKind.NotFound,
                $"No memory '{key}' in namespace '{ns}'.", ns + "/" + key);

        /// <summary>Namespaces with a folder in the store (never the reserved ones), sorted.</summary>
        public IReadOnlyList<string> ListNamespaces()
        {
            if (!Directory.Exists(Root)) return Array.Empty<string>();
            return Directory.EnumerateDirectories(Root)
                .Select(Path.GetFileName)
                .Where(n => n != null && n.Length > 0 && n[0] != '_' && Names.IsValidNamespace(n) && n == n.ToLowerInvariant())
                .Select(n => n!)
                .OrderBy(n => n, StringComparer.Ordinal)
                .ToList();
        }

        /// <summary>Standard namespaces plus every namespace that exists, with counts and policy.</summary>
        public IReadOnlyList<NamespaceInfo> GetNamespaces()
        {
            var existing = new HashSet<string>(ListNamespaces(), StringComparer.Ordinal);
            var all = new SortedSet<string>(existing, StringComparer.Ordinal);
            foreach (var s in Names.StandardNamespaces) all.Add(s);
            var config = Config;
            return all.Select(n => new NamespaceInfo(n, config.IsTracked(n),
                existing.Contains(n) ? _paths.Files(Path.Combine(Root, n), "*.yaml", proveEach: false).Count() : 0,
                Names.StandardNamespaces.Contains(n), existing.Contains(n))).ToList();
        }

        /// <summary>Lists the memories of a namespace by file name, sorted by key; cheap (reads no file unless a key is hashed).</summary>
        public IEnumerable<MemoryLocation> List(string ns)
        {
            ns = Names.NormalizeNamespace(ns);
            var dir = Path.Combine(Root, ns);
            if (!Directory.Exists(dir)) return Array.Empty<MemoryLocation>();
            var list = new List<MemoryLocation>();
            foreach (var path in _paths.Files(dir, "*.yaml", proveEach: false)) // each is proven when read (Read)
            {
                var stem = Path.GetFileNameWithoutExtension(path);
                var key = Names.DecodeKey(stem);
                if (key == null && !stem.StartsWith("~", StringComparison.Ordinal)) continue; // not ours
                list.Add(new MemoryLocation(ns, key, path));
            }
            list.Sort((a, b) => string.CompareOrdinal(a.Key ?? a.Path, b.Key ?? b.Path));
            return list;
        }

        // ------------------------------------------------------------------ writes

        /// <summary>Creates or revises a memory (and appends its provenance entry when tracked), atomically.</summary>
        /// <remarks>
        /// A large string's content hash is computed on a worker thread (see <see cref="CheckWrite"/>) while this
        /// thread takes the lock, reads the current header, renders the new file and writes it to a temp file with a
        /// placeholder where the hash goes; the hash is patched in before the file is closed. If it then shows the value
        /// unchanged, the temp file is dropped and the write is a no-op, as without the overlap.
        /// </remarks>
        public SetResult Set(SetRequest request)
        {
            var w = CheckWrite(request, Config.MaxValueBytes, overlapHashing: true);
            if (w.Branch != Names.DefaultBranch) return SetOnBranch(request, w);
            string ns = w.Namespace, key = w.Key, actor = w.Actor;
            var tags = w.Tags;
            var memoryPath = MemoryPath(ns, key);
            var log = new ProvenanceLog(ProvenancePath(ns, key));

            using (LockForWrite())
            {
                var durability = Config.Durability;
                var current = TryGetForWrite(ns, key, memoryPath);
                ConditionalWrite.Check(request, current, ns, key, Names.DefaultBranch);
                // A history is reconciled with the memory file before anything is decided from it: a create that died
                // after its append (a lone dangling entry) is cut first, so it neither makes the memory tracked nor
                // refuses -TrackProvenance:$false. A memory with history stays tracked, so this is the tracked path anyway.
                bool hasHistory = log.Exists;
                LogTail? tail = null;
                if (hasHistory)
                {
                    tail = Reconcile(log, current, ns, key);
                    hasHistory = log.Exists;
                }
                bool tracked = Tracked(request, hasHistory, Config, ns, key, mainLine: true); // true whenever a tail remains
                var sources = ResolveSources(request);

                var newTags = tags ?? current?.Tags ?? Array.Empty<string>();
                bool mayBeUnchanged = current != null && !request.IsCognitive && newTags.SequenceEqual(current.Tags, StringComparer.Ordinal);
                SetResult Unchanged()
                {
                    _ = current!.Value; // a header-only record loads its value now, under the lock (the caller gets it whole)
                    if (hasHistory || request.TrackProvenance != true) return new SetResult(current, false, null);
                    // -TrackProvenance on an untracked memory whose value is unchanged: start its history with the
                    // current state (same version), so tracking begins now rather than at the next change.
                    var start = NewEntry(null, current!.Id, ns, key, ProvenanceActions.Tracked, actor, DateTime.UtcNow, Names.DefaultBranch,
                        current.Version, request.Reason, current.ContentHash, current.Value);
                    log.Append(start, 0, durability);
                    return new SetResult(current, false, start);
                }
                // Decided once: a hash still being computed now is checked after the temp file is written (below).
                bool pending = w.HashPending;
                if (mayBeUnchanged && !pending && current!.ContentHash == w.ContentHash) return Unchanged();

                var now = DateTime.UtcNow;
                string id;
                int version;
                bool continuesLost = false;
                if (current != null)
                {
                    id = current.Id;
                    version = current.Version + 1;
                }
                else if (tail != null && tail.Seq > 0)
                {
                    // Re-created after a delete, or written again after its file was lost (FileLost): continue the
                    // same history and id, after main's last version (the log's tail may be a branch's entry, whose
                    // version is the branch's own).
                    id = log.ReadTailEntry(tail).MemoryId;
                    var lastMain = LastMainTail(log, tail);
                    version = (lastMain?.Version ?? 0) + 1;
                    continuesLost = lastMain != null && lastMain.Action != ProvenanceActions.Deleted;
                }
                else
                {
                    id = Guid.NewGuid().ToString("N");
                    version = 1;
                }

                var record = new MemoryRecord(id, ns, key, request.Value, newTags, version, current?.CreatedUtc ?? now, now);
                ProvenanceEntry? NewWriteEntry() => tracked
                    ? NewEntry(tail, id, ns, key, request.Action ?? (current == null && !continuesLost ? ProvenanceActions.Created : ProvenanceActions.Revised),
                        actor, now, Names.DefaultBranch, version, request.Reason, w.ContentHash, request.Value, details: CognitionDetails(request, sources))
                    : null;

                var needBase = BranchesNeedingBase(ns, key);
                if (needBase.Count > 0 || sources.Count > 0)
                {
                    // A live branch still reads this memory from main (keep its merge base), or sources must be
                    // indexed: several files change, in one transaction.
                    if (mayBeUnchanged && current!.ContentHash == w.ContentHash) return Unchanged();
                    record.WithContentHash(w.ContentHash);
                    var txnEntry = NewWriteEntry();
                    using (var txn = BeginTransaction())
                    {
                        StageBaseSnapshots(txn, needBase, current, ns, key);
                        txn.Write(memoryPath, MemoryFile.Serialize(record));
                        if (txnEntry != null) StageAppend(txn, log, tail, txnEntry);
                        if (txnEntry != null) StageDerivedIndex(txn, sources, txnEntry);
                        txn.Commit();
                    }
                    return new SetResult(record, true, txnEntry);
                }

                if (!pending) record.WithContentHash(w.ContentHash);
                using (var rendered = MemoryFile.Render(record, pending ? MemoryFile.HashPlaceholder : null))
                {
                    var tmp = FileOps.WriteTemp(TempDir, rendered.Segments, durability, beforeClose: pending
                        ? fs =>
                        {
                            // The worker's hash (or its error: the temp file is then deleted below).
                            var hash = FileOps.GetBytes(w.ContentHash);
                            if (hash.Length != MemoryFile.HashPlaceholder.Length) throw new InvalidOperationException("A content hash of unexpected length.");
                            fs.Seek(rendered.HashOffset, SeekOrigin.Begin);
                            fs.Write(hash, 0, hash.Length);
                        }
                        : (Action<FileStream>?)null);
                    ProvenanceEntry? entry = null;
                    long appendedAt = -1;
                    try
                    {
                        if (pending)
                        {
                            if (mayBeUnchanged && current!.ContentHash == w.ContentHash)
                            {
                                FileOps.TryDelete(tmp);
                                return Unchanged();
                            }
                            record.WithContentHash(w.ContentHash);
                        }
                        entry = NewWriteEntry();
                        if (entry != null)
                        {
                            appendedAt = log.Append(entry, tail?.ValidLength ?? 0, durability, rendered); // same value: rendered once
                            FaultHook?.Invoke("prov-appended");
                        }
                        FileOps.ReplaceByRenameCreatingDirectory(tmp, memoryPath);
                    }
                    catch (SimulatedCrashException)
                    {
                        throw;
                    }
                    catch (Exception ex)
                    {
                        if (appendedAt >= 0) FileOps.Truncate(log.Path, appendedAt);
                        FileOps.TryDelete(tmp);
                        if (ex is EngramException) throw;
                        throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                            $"Writing memory '{key}' in '{ns}' failed and was rolled back: {ex.Message}", ns + "/" + key, ex);
                    }
                    return new SetResult(record, true, entry);
                }
            }
        }

        /// <summary>Deletes a memory. A tracked memory gets a <c>deleted</c> entry and keeps its history.</summary>
        public ProvenanceEntry? Remove(string ns, string key, string? actor = null, string? reason = null, string? branch = null)
        {
            if (Names.NormalizeBranch(branch) != Names.DefaultBranch) return RemoveOnBranch(ns, key, actor, reason, Names.NormalizeBranch(branch));
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            actor = NormalizeActor(actor);
            var memoryPath = MemoryPath(ns, key);
            var log = new ProvenanceLog(ProvenancePath(ns, key));
            EnsureExists();
            using (LockForWrite())
            {
                var current = TryGetForWrite(ns, key, memoryPath) ?? throw NotFound(ns, key); // header only: the old value is read only for a branch's merge base
                ProvenanceEntry? entry = null;
                LogTail? tail = null;
                long appendedAt = -1;
                if (log.Exists) tail = Reconcile(log, current, ns, key); // null: only a write that never finished, now cut
                if (tail != null)
                {
                    entry = NewEntry(tail, current.Id, ns, key, ProvenanceActions.Deleted, actor, DateTime.UtcNow, Names.DefaultBranch,
                        current.Version, reason, null, null, hasValue: false);
                }
                var needBase = BranchesNeedingBase(ns, key);
                if (needBase.Count > 0)
                {
                    using (var txn = BeginTransaction())
                    {
                        StageBaseSnapshots(txn, needBase, current, ns, key);
                        txn.Delete(memoryPath);
                        if (entry != null) StageAppend(txn, log, tail, entry);
                        txn.Commit();
                    }
                    return entry;
                }
                if (entry != null) appendedAt = log.Append(entry, tail?.ValidLength ?? 0, Config.Durability);
                try
                {
                    File.Delete(memoryPath);
                }
                catch (Exception ex)
                {
                    if (appendedAt >= 0) FileOps.Truncate(log.Path, appendedAt);
                    throw new EngramException(EngramErrorIds.WriteFailed, EngramErrorKind.WriteError,
                        $"Removing memory '{key}' in '{ns}' failed and was rolled back: {ex.Message}", ns + "/" + key, ex);
                }
                return entry;
            }
        }

        /// <summary>
        /// Makes the log agree with the memory file before a write: cuts off a torn append (bytes <see cref="ProvenanceLog.ReadTail"/>
        /// proved to be an unfinished append) or one entry left dangling by a writer that died between appending and
        /// renaming (<see cref="LooksDangling"/>; only after the whole history verified). Decides everything before it
        /// changes a byte: damaged history, or history that disagrees with the memory file, is refused with
        /// <c>MalformedProvenance</c> and every file is left as it was. A memory file that is gone while its history is
        /// intact (<see cref="FileLost"/>) lets the write continue that history. Returns the (new) tail.
        /// </summary>
        private LogTail? Reconcile(ProvenanceLog log, MemoryRecord? current, string ns, string key)
        {
            var tail = log.ReadTail(); // validated: damage throws before anything is touched
            if (tail == null) return null;
            bool torn = tail.ValidLength < tail.FileLength;
            if (tail.Seq == 0)
            {
                if (torn) FileOps.Truncate(log.Path, 0);
                return null;
            }
            bool keep = tail.Branch != Names.DefaultBranch || Consistent(tail, current) // branch entries are transactional
                || FileLost(tail.Action, current, () => IsFirstOrFollowsDeletion(log, tail));
            if (keep)
            {
                if (torn) FileOps.Truncate(log.Path, tail.ValidLength);
                return tail;
            }
            if (!LooksDangling(tail.Action, tail.Version, current, () => IsFirstOrFollowsDeletion(log, tail)))
                throw new EngramException(EngramErrorIds.MalformedProvenance, EngramErrorKind.InvalidData,
                    $"The history of '{key}' in '{ns}' (entry {tail.Seq}, version {tail.Version}) does not match its memory file (version {current?.Version.ToString() ?? "none"}). Nothing was written; check the store with Test-EngramStore.", log.Path);
            // The decision walked earlier trailers: before a complete entry is cut, the whole history must verify.
            var problem = FirstHistoryProblem(log, tail.ValidLength, ns, key);
            if (problem != null) throw HistoryDamage.Create(problem.Kind, problem.Message + " Nothing was written.", log.Path);
            FileOps.Truncate(log.Path, tail.Start);
            var previous = log.ReadTail();
            return previous == null || previous.Seq == 0 ? null : previous;
        }

        /// <summary>
        /// With no memory file, only a (re-)create can have died after its append: its entry is the first on main or
        /// follows a deletion. Anything else (say a revision, when the file was deleted by hand) is committed history,
        /// which must not be cut.
        /// </summary>
        private static bool IsFirstOrFollowsDeletion(ProvenanceLog log, LogTail tail)
        {
            using (var fs = log.OpenForRandomRead())
            {
                var prev = log.ReadPreviousTail(fs, tail.Start);
                while (prev != null && prev.Branch != Names.DefaultBranch) prev = log.ReadPreviousTail(fs, prev.Start);
                return IsFirstOrAfterDeletion(prev?.Action);
            }
        }

        /// <summary>
        /// Whether the main line's last entry, which disagrees with the memory file, is a write that died before the
        /// file was replaced (and so may be cut): one version ahead of the file, a deletion of the file's version, or —
        /// with no file — a first create or a re-create after a deletion (<paramref name="firstOrAfterDeletion"/>,
        /// asked only then). Anything else is committed history. Writers and the verifier share this rule.
        /// </summary>
        internal static bool LooksDangling(string action, int version, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            current == null
                ? action != ProvenanceActions.Deleted && firstOrAfterDeletion()
                : (action == ProvenanceActions.Deleted && version == current.Version) || version == current.Version + 1;

        /// <summary>
        /// The other side of <see cref="LooksDangling"/> when there is no memory file: the main line's last entry is a
        /// committed write (not a deletion, and not a create that may have died before its rename), so the file was lost
        /// (deleted by hand, or damaged and moved away) while its history is intact. Writers continue that history (the
        /// next version follows the last one; nothing is cut), readers show it whole, and <c>Test-EngramStore -Repair</c>
        /// rebuilds the file from it. Writers and the verifier share this rule.
        /// </summary>
        internal static bool FileLost(string action, MemoryRecord? current, Func<bool> firstOrAfterDeletion) =>
            current == null && action != ProvenanceActions.Deleted && !firstOrAfterDeletion();

        /// <summary>True when the main-line entry before an entry is none, a deletion, or a squash (which may hide it).</summary>
        internal static bool IsFirstOrAfterDeletion(string? previousMainAction) =>
            previousMainAction == null || previousMainAction == ProvenanceActions.Deleted || previousMainAction == ProvenanceActions.Squashed;

        private static bool Consistent(LogTail tail, MemoryRecord? current) =>
            current == null ? tail.Action == ProvenanceActions.Deleted : tail.Action != ProvenanceActions.Deleted && tail.Version == current.Version;

        // ------------------------------------------------------------------ provenance reads

        /// <summary>True when the memory has a provenance history (it is, and stays, tracked).</summary>
        public bool HasProvenance(string ns, string key)
        {
            var log = new ProvenanceLog(ProvenancePath(ns, key));
            if (!log.Exists) return false;
            LogTail? tail;
            try { tail = log.ReadTail(); }
            catch (EngramException) { return true; } // damaged history is still history (Test-EngramStore names it)
            if (tail == null || tail.Seq == 0) return false;
            if (tail.Start > 0 || tail.Branch != Names.DefaultBranch) return true;
            // A lone entry is no history when it is a write that died before its rename (LooksDangling): readers hide
            // it and the next writer cuts it, so it must not make the memory tracked.
            MemoryRecord? current;
            try { current = TryGet(ns, key); }
            catch (EngramException) { return true; }
            return Consistent(tail, current) || !LooksDangling(tail.Action, tail.Version, current, () => true);
        }

        /// <summary>
        /// The memory's history, oldest first, streaming; with <paramref name="last"/>, only the newest entries (read
        /// backwards from the end: cost does not depend on history length). An entry a writer is still committing is
        /// not shown.
        /// </summary>
        public IEnumerable<ProvenanceEntry> GetProvenance(string ns, string key, int? last = null, bool includeValues = true, string? branch = null)
        {
            var b = branch == null || branch == "*" ? null : Names.NormalizeBranch(branch);
            return GetProvenanceCore(ns, key, last, includeValues, b);
        }

        private IEnumerable<ProvenanceEntry> GetProvenanceCore(string ns, string key, int? last, bool includeValues, string? branch)
        {
            ns = Names.NormalizeNamespace(ns);
            Names.ValidateKey(key);
            EnsureExists();
            // History stays readable when the memory file is damaged: it is what the file can be rebuilt from.
            MemoryRecord? current = null;
            EngramException? unreadable = null;
            try { current = TryGet(ns, key); }
            catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile) { unreadable = ex; }
            var log = new ProvenanceLog(ProvenancePath(ns, key));
            var tail = log.ReadTail();
            if (tail == null || tail.Seq == 0)
            {
                if (unreadable != null) throw unreadable;
                if (current == null) throw NotFound(ns, key);
                throw StoreErrors.NotTracked(ns, key);
            }
            if (unreadable == null && tail.Branch == Names.DefaultBranch && !Consistent(tail, current))
            {
                // The file may have been replaced since it was read (a writer committed meanwhile): read it again.
                try { current = TryGet(ns, key); }
                catch (EngramException ex) when (ex.ErrorId == EngramErrorIds.MalformedMemoryFile) { unreadable = ex; }
            }

            // Hide entries beyond what the memory file shows (an in-flight or crashed write). With no memory file, only
            // a write that may have died before its rename is hidden (LooksDangling): a lost file's history is shown.
            using (var fs = log.OpenForRandomRead())
            {
                while (unreadable == null && tail != null && tail.Branch == Names.DefaultBranch && !Consistent(tail, current) &&
                       (current == null ? LooksDangling(tail.Action, tail.Version, null, () => IsFirstOrFollowsDeletion(log, tail))
                                        : tail.Version > current.Version || (tail.Version == current.Version && tail.Action == ProvenanceActions.Deleted)))
                    tail = log.ReadPreviousTail(fs, tail.Start);
            }
            if (tail == null)
            {
                // Every entry is a write that never finished (readers hide it; the next writer cuts it): no history.
                if (unreadable != null) return Array.Empty<ProvenanceEntry>();
                throw current == null ? NotFound(ns, key) : StoreErrors.NotTracked(ns, key);
            }
            if (last.HasValue) return ReadLast(log, tail, Math.Max(0, last.Value), includeValues, branch);
            var all = log.ReadAll(tail.ValidLength, includeValues);
            return branch == null ? all : all.Where(e => e.Branch == branch);
        }

        private static IEnumerable<ProvenanceEntry> ReadLast(ProvenanceLog log, LogTail tail, int n, bool includeValues, string? branch)
        {
            var result = new List<ProvenanceEntry>(Math.Min(n, 1024));
            using (var fs = log.OpenForRandomRead())
            {
                LogTail? t = tail;
                while (t != null && result.Count < n)
                {
                    if (branch == null || t.Branch == branch) result.Add(log.ReadEntry(fs, t.Start, t.ValidLength, includeValues));
                    t = log.ReadPreviousTail(fs, t.Start);
                }
            }
            result.Reverse();
            return result;
        }

        // ------------------------------------------------------------------ helpers

        internal static ProvenanceEntry NewEntry(LogTail? tail, string id, string ns, string key, string action, string actor,
            DateTime now, string branch, int version, string? reason, string? contentHash, object? value, bool hasValue = true,
            EngramMap? details = null, ProvenanceEntry? previous = null)
        {
            var e = new ProvenanceEntry
            {
                Seq = previous != null ? previous.Seq + 1 : (tail?.Seq ?? 0) + 1,
                MemoryId = id,
                Namespace = ns,
                Key = key,
                Action = action,
                Actor = actor,
                TimestampUtc = now,
                Branch = branch,
                Version = version,
                Reason = string.IsNullOrEmpty(reason) ? null : reason,
                ContentHash = contentHash,
                PrevHash = previous != null ? previous.Hash : tail != null && tail.Seq > 0 ? tail.Hash : null,
                Details = details,
                HasValue = hasValue,
                Value = hasValue ? value : null,
            };
            e.Hash = e.ComputeHash();
            return e;
        }

        /// <summary>
        /// The <c>forked</c> entry that starts a branch's history of a memory: main's version <paramref name="from"/>
        /// is where the branch took it from (the value stays in main's entries). <paramref name="conflictWith"/> names
        /// the branch whose merge conflicted, when the fork is the conflict branch of a merge.
        /// </summary>
        internal static ProvenanceEntry ForkedEntry(LogTail? tail, MemoryRecord from, string ns, string key, string actor, DateTime now,
            string branch, string? reason, string? conflictWith = null)
        {
            var details = new EngramMap(MapKind.Ordered) { { "from", Names.DefaultBranch }, { "fromVersion", from.Version } };
            if (conflictWith != null) details.Add("conflictWith", conflictWith);
            return NewEntry(tail, from.Id, ns, key, ProvenanceActions.Forked, actor, now, branch, from.Version, reason, from.ContentHash, null,
                hasValue: false, details: details);
        }

        /// <summary>Stages the append of one or more consecutive entries to a log.</summary>
        internal static void StageAppend(Transaction txn, ProvenanceLog log, LogTail? tail, params ProvenanceEntry[] entries)
        {
            long start = tail?.ValidLength ?? 0, offset = start;
            var sb = new System.Text.StringBuilder();
            foreach (var e in entries)
            {
                var text = ProvenanceLog.Serialize(e, offset);
                offset += System.Text.Encoding.UTF8.GetByteCount(text);
                sb.Append(text);
            }
            txn.Append(log.Path, sb.ToString(), start);
        }

        /// <summary>Starts a multi-file transaction. The caller must hold the write lock.</summary>
        internal Transaction BeginTransaction() => new Transaction(_paths, Config.Durability, FaultHook);

        /// <summary>Strings at least this long (chars) are hashed on a worker thread while a file-store Set does its I/O.</summary>
        internal const int OverlapHashingFrom = 64 * 1024;

        /// <summary>
        /// Checks and normalizes a write before anything is touched: namespace, branch, key, action (a main-line write
        /// cannot record 'deleted'), tags, actor, the value (its size, then by hashing it) and the cognitive fields.
        /// </summary>
        internal static CheckedWrite CheckWrite(SetRequest request, long maxValueBytes, bool overlapHashing = false)
        {
            if (request == null) throw new ArgumentNullException(nameof(request));
            var w = new CheckedWrite { Branch = Names.NormalizeBranch(request.Branch), Namespace = Names.NormalizeNamespace(request.Namespace), Key = request.Key };
            Names.ValidateKey(w.Key);
            if (request.Action != null)
            {
                Names.ValidateAction(request.Action);
                if (request.Action == ProvenanceActions.Deleted && w.Branch == Names.DefaultBranch)
                    throw new EngramException(EngramErrorIds.InvalidAction, EngramErrorKind.InvalidArgument,
                        "'deleted' is recorded by Remove-EngramMemory, not by a write.", request.Action);
            }
            w.Tags = NormalizeTags(request.Tags);
            w.Actor = NormalizeActor(request.Actor);
            ValueCodec.CheckSize(request.Value, maxValueBytes, $"'{w.Key}' in '{w.Namespace}'", w.Namespace + "/" + w.Key); // before it is hashed, rendered or written
            ConditionalWrite.Validate(request);
            if (overlapHashing && request.Value is string large && large.Length >= OverlapHashingFrom) w.StartHashing(large); // validated when awaited
            else w.ContentHash = ValueCodec.ContentHash(request.Value); // validates the value
            ValidateCognition(request, w.Namespace, w.Key);
            return w;
        }

        /// <summary>
        /// Whether a write is tracked: always once the memory has a history (then -TrackProvenance:$false is refused, so
        /// the history has no holes), when it records cognitive fields, else as asked or as the namespace's policy says.
        /// </summary>
        internal static bool Tracked(SetRequest request, bool hasHistory, StoreConfig config, string ns, string key, bool mainLine)
        {
            if (hasHistory && request.TrackProvenance == false)
                throw new EngramException(EngramErrorIds.ProvenanceRequired, EngramErrorKind.InvalidOperation,
                    $"The memory '{key}' in '{ns}' has provenance history, so every change to it is tracked"
                    + (mainLine ? "; -TrackProvenance:$false is refused to keep its history without holes." : "."), ns + "/" + key);
            return hasHistory || request.IsCognitive || (request.TrackProvenance ?? config.IsTracked(ns));
        }

        internal static IReadOnlyList<string>? NormalizeTags(IReadOnlyList<string>? tags)
        {
            if (tags == null) return null;
            var result = new List<string>();
            foreach (var t in tags)
            {
                var tag = t?.Trim();
                if (string.IsNullOrEmpty(tag)) continue;
                if (tag!.Any(char.IsControl))
                    throw new EngramException(EngramErrorIds.InvalidKey, EngramErrorKind.InvalidArgument, $"The tag '{tag}' contains a control character.", tag);
                if (!result.Contains(tag, StringComparer.Ordinal)) result.Add(tag!);
            }
            return result;
        }

        internal static string NormalizeActor(string? actor)
        {
            var a = string.IsNullOrWhiteSpace(actor) ? StoreLocator.DefaultActor() : actor!.Trim();
            if (a.Length == 0 || a.Length > 256 || a.Any(char.IsControl))
                throw new EngramException(EngramErrorIds.InvalidActor, EngramErrorKind.InvalidArgument,
                    "An actor is a name of 1 to 256 printable characters.", actor);
            return a;
        }
    }
}
