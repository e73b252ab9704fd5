using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Xunit;

namespace Engram.Core.Tests
{
    /// <summary>A fresh folder per test: <see cref="Parent"/> is a scratch folder, <see cref="Root"/> the store inside it.</summary>
    public sealed class TempStore : IDisposable
    {
        public TempStore()
        {
            Parent = Path.Combine(Path.GetTempPath(), "engram-core-tests", Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Parent);
            Root = Path.Combine(Parent, "store");
            Store = new EngramStore(Root);
        }

        public string Parent { get; }
        public string Root { get; }
        public EngramStore Store { get; }

        /// <summary>A new store object on the same folder (no cached configuration).</summary>
        public EngramStore Reopen() => new EngramStore(Root);

        public SetResult Set(string ns, string key, object? value, IReadOnlyList<string>? tags = null, bool? track = null,
            string actor = "tester", string? reason = null) =>
            Store.Set(new SetRequest(ns, key, value) { Tags = tags, TrackProvenance = track, Actor = actor, Reason = reason });

        public string P(params string[] parts) => Path.Combine(new[] { Root }.Concat(parts).ToArray());

        public void Dispose()
        {
            try { Directory.Delete(Parent, true); }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
        }
    }

    public static class TestUtil
    {
        public static EngramException Throws(string errorId, Action action)
        {
            var ex = Assert.Throws<EngramException>(action);
            Assert.Equal(errorId, ex.ErrorId);
            return ex;
        }

        public static EngramException Throws(string errorId, Func<object?> action)
        {
            var ex = Assert.Throws<EngramException>(() => { action(); });
            Assert.Equal(errorId, ex.ErrorId);
            return ex;
        }

        /// <summary>Every file under <paramref name="dir"/> (relative path → bytes), plus every folder (→ null).</summary>
        public static SortedDictionary<string, byte[]?> Snapshot(string dir)
        {
            var result = new SortedDictionary<string, byte[]?>(StringComparer.Ordinal);
            if (!Directory.Exists(dir)) return result;
            foreach (var d in Directory.EnumerateDirectories(dir, "*", SearchOption.AllDirectories))
                result[Path.GetRelativePath(dir, d) + "/"] = null;
            foreach (var f in Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories))
                result[Path.GetRelativePath(dir, f)] = File.ReadAllBytes(f);
            return result;
        }

        /// <summary>The snapshot without the search index (<c>_index/</c>): derived data a repair may rebuild.</summary>
        public static SortedDictionary<string, byte[]?> WithoutSearchIndex(SortedDictionary<string, byte[]?> snapshot) =>
            new SortedDictionary<string, byte[]?>(snapshot.Where(kv => !kv.Key.StartsWith("_index/", StringComparison.Ordinal)).ToDictionary(kv => kv.Key, kv => kv.Value), StringComparer.Ordinal);

        public static void AssertUnchanged(SortedDictionary<string, byte[]?> before, SortedDictionary<string, byte[]?> after)
        {
            Assert.Equal(before.Keys.ToList(), after.Keys.ToList());
            foreach (var kv in before)
            {
                var a = after[kv.Key];
                if (kv.Value == null) Assert.Null(a);
                else Assert.True(a != null && kv.Value.AsSpan().SequenceEqual(a), $"'{kv.Key}' changed");
            }
        }

        /// <summary>Files only (relative, '/'-separated).</summary>
        public static List<string> Files(string dir) =>
            Directory.Exists(dir)
                ? Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories)
                    .Select(f => Path.GetRelativePath(dir, f).Replace('\\', '/')).OrderBy(f => f, StringComparer.Ordinal).ToList()
                : new List<string>();

        /// <summary>Checks seq 1..n, prev-hash links and every entry's own hash.</summary>
        public static void AssertChain(IReadOnlyList<ProvenanceEntry> entries, long firstSeq = 1)
        {
            for (int i = 0; i < entries.Count; i++)
            {
                var e = entries[i];
                Assert.Equal(firstSeq + i, e.Seq);
                Assert.True(e.VerifyHash(), $"entry {e.Seq} does not verify");
                Assert.Matches("^[0-9a-f]{64}$", e.Hash);
                if (i == 0 && firstSeq == 1) Assert.Null(e.PrevHash);
                if (i > 0) Assert.Equal(entries[i - 1].Hash, e.PrevHash);
            }
        }
    }
}
