using System;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    public class ProvenanceTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private static readonly object?[] Values =
        {
            "first", 2, new EngramMap(MapKind.Ordered) { { "b", 1L }, { "a", new object?[] { 1.5, null } } }, "multi\nline\n", null,
        };

        private void WriteHistory()
        {
            for (int i = 0; i < Values.Length; i++)
                _t.Set("shared", "k", Values[i], actor: "actor" + i, reason: i % 2 == 0 ? "reason " + i : null);
        }

        [Fact]
        public void History_IsOldestFirst_WithEveryField()
        {
            var start = DateTime.UtcNow.AddSeconds(-1);
            WriteHistory();
            _t.Store.Remove("shared", "k", "remover", "gone");
            var end = DateTime.UtcNow.AddSeconds(1);

            var hist = _t.Reopen().GetProvenance("shared", "k").ToList();
            Assert.Equal(Values.Length + 1, hist.Count);
            var id = hist[0].MemoryId;
            for (int i = 0; i < hist.Count; i++)
            {
                var e = hist[i];
                Assert.Equal(i + 1, e.Seq);
                Assert.Equal(1, e.Schema); // ordinary entries stay readable by every build
                Assert.Equal(id, e.MemoryId);
                Assert.Equal("shared", e.Namespace);
                Assert.Equal("k", e.Key);
                Assert.Equal("main", e.Branch);
                Assert.InRange(e.TimestampUtc, start, end);
                Assert.Equal(DateTimeKind.Utc, e.TimestampUtc.Kind);
                if (i > 0) Assert.True(e.TimestampUtc >= hist[i - 1].TimestampUtc);
                if (i < Values.Length)
                {
                    Assert.Equal(i + 1, e.Version);
                    Assert.Equal(i == 0 ? "created" : "revised", e.Action);
                    Assert.Equal("actor" + i, e.Actor);
                    Assert.Equal(i % 2 == 0 ? "reason " + i : null, e.Reason);
                    Assert.Equal(ValueCodec.ContentHash(Values[i]), e.ContentHash);
                    Assert.True(e.HasValue);
                    Assert.Equal(ValueCodec.ContentHash(Values[i]), ValueCodec.ContentHash(e.Value));
                }
                else
                {
                    Assert.Equal("deleted", e.Action);
                    Assert.Equal(Values.Length, e.Version);
                    Assert.Equal("remover", e.Actor);
                    Assert.Equal("gone", e.Reason);
                    Assert.False(e.HasValue);
                    Assert.Null(e.ContentHash);
                }
            }
            Assert.Equal("first", hist[0].Value);
            Assert.Equal(2, Assert.IsType<int>(hist[1].Value));
            var map = Assert.IsType<EngramMap>(hist[2].Value);
            Assert.Equal(MapKind.Ordered, map.Kind);
            Assert.Equal(new[] { "b", "a" }, map.Keys.ToArray());
            Assert.Equal("multi\nline\n", hist[3].Value);
            Assert.Null(hist[4].Value);
            Assert.True(hist[4].HasValue);
            AssertChain(hist);
        }

        [Fact]
        public void SetResultEntry_MatchesWhatIsReadBack()
        {
            var r = _t.Set("shared", "k", "v", reason: "why");
            var e = _t.Store.GetProvenance("shared", "k").Single();
            Assert.Equal(r.Entry!.Hash, e.Hash);
            Assert.Equal(r.Entry.Seq, e.Seq);
            Assert.Equal(r.Entry.TimestampUtc, e.TimestampUtc);
            Assert.Equal(r.Memory.Id, e.MemoryId);
            Assert.Equal(r.Memory.ContentHash, e.ContentHash);
        }

        [Fact]
        public void IncludeValuesFalse_SkipsValues_ButHashesStillVerify()
        {
            WriteHistory();
            var hist = _t.Store.GetProvenance("shared", "k", includeValues: false).ToList();
            Assert.Equal(Values.Length, hist.Count);
            Assert.All(hist, e => { Assert.False(e.HasValue); Assert.Null(e.Value); Assert.NotNull(e.ContentHash); });
            AssertChain(hist);
        }

        [Fact]
        public void Last_ReturnsTheNewestEntries_InOrder()
        {
            WriteHistory();
            var all = _t.Store.GetProvenance("shared", "k").ToList();
            var last2 = _t.Store.GetProvenance("shared", "k", last: 2).ToList();
            Assert.Equal(2, last2.Count);
            Assert.Equal(new long[] { Values.Length - 1, Values.Length }, last2.Select(e => e.Seq));
            Assert.Equal(all.Skip(Values.Length - 2).Select(e => e.Hash), last2.Select(e => e.Hash));
            Assert.Equal(all[Values.Length - 2].ContentHash, ValueCodec.ContentHash(last2[0].Value));
            Assert.Equal(new[] { 1L }, _t.Store.GetProvenance("shared", "k", last: 100).Take(1).Select(e => e.Seq));
            Assert.Equal(Values.Length, _t.Store.GetProvenance("shared", "k", last: 100).Count());
            Assert.Empty(_t.Store.GetProvenance("shared", "k", last: 0));
            Assert.Equal(all.Last().Hash, _t.Store.GetProvenance("shared", "k", last: 1).Single().Hash);
        }

        [Fact]
        public void TrackProvenanceTrue_OnUntrackedNamespace_StartsHistory_WhichCannotBeTurnedOff()
        {
            _t.Set("session", "k", "v1");
            Throws(EngramErrorIds.NoProvenance, () => _t.Store.GetProvenance("session", "k").ToList());
            var r = _t.Set("session", "k", "v2", track: true);
            Assert.NotNull(r.Entry);
            Assert.True(File.Exists(_t.P("_provenance", "session", "k.prov")));
            var hist = _t.Store.GetProvenance("session", "k").ToList();
            var e = Assert.Single(hist);
            Assert.Equal(2, e.Version); // history starts at the version where tracking began
            Assert.Equal("revised", e.Action);
            Assert.Null(e.PrevHash);
            AssertChain(hist);

            // Now tracked without asking.
            Assert.NotNull(_t.Set("session", "k", "v3").Entry);

            var before = Snapshot(_t.Root);
            var ex = Throws(EngramErrorIds.ProvenanceRequired, () => _t.Set("session", "k", "v4", track: false));
            Assert.Equal(EngramErrorKind.InvalidOperation, ex.Kind);
            Throws(EngramErrorIds.ProvenanceRequired, () => _t.Set("session", "k", "v3", track: false)); // even a no-op
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal("v3", _t.Store.Get("session", "k").Value);
        }

        [Fact]
        public void TrackProvenanceTrue_OnANewMemory_StartsAtVersionOne()
        {
            var r = _t.Set("project-x", "k", 1, track: true);
            Assert.Equal("created", r.Entry!.Action);
            Assert.Equal(1, r.Entry.Version);
            Assert.True(File.Exists(_t.P("_provenance", "project-x", "k.prov")));
        }

        [Fact]
        public void TrackProvenanceFalse_OnTrackedNamespace_WritesNoHistoryForANewMemory()
        {
            var r = _t.Set("shared", "k", 1, track: false);
            Assert.Null(r.Entry);
            Assert.False(File.Exists(_t.P("_provenance", "shared", "k.prov")));
            Throws(EngramErrorIds.NoProvenance, () => _t.Store.GetProvenance("shared", "k"));
        }

        [Fact]
        public void Untracked_IsNoProvenance_Missing_IsMemoryNotFound()
        {
            _t.Set("session", "k", 1);
            var ex = Throws(EngramErrorIds.NoProvenance, () => _t.Store.GetProvenance("session", "k").ToList());
            Assert.Equal(EngramErrorKind.NotFound, ex.Kind);
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.GetProvenance("session", "nope").ToList());
            Throws(EngramErrorIds.MemoryNotFound, () => _t.Store.GetProvenance("shared", "nope").ToList());
            Throws(EngramErrorIds.InvalidKey, () => _t.Store.GetProvenance("shared", "").ToList());
            Throws(EngramErrorIds.ReservedNamespace, () => _t.Store.GetProvenance("_provenance", "k").ToList());
        }

        [Fact]
        public void TamperingWithAnEntry_BreaksItsHash()
        {
            _t.Set("shared", "k", "a", actor: "alice");
            _t.Set("shared", "k", "b", actor: "alice");
            _t.Set("shared", "k", "c", actor: "alice");
            var path = _t.P("_provenance", "shared", "k.prov");
            var text = File.ReadAllText(path);
            var firstActor = text.IndexOf("actor: alice", StringComparison.Ordinal);
            var second = text.IndexOf("actor: alice", firstActor + 1, StringComparison.Ordinal);
            Assert.True(second > 0);
            // Same length, so the trailers' offsets stay valid.
            File.WriteAllText(path, text.Substring(0, second) + "actor: mallo" + text.Substring(second + "actor: alice".Length), new UTF8Encoding(false));

            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(3, hist.Count);
            Assert.Equal("mallo", hist[1].Actor);
            Assert.True(hist[0].VerifyHash());
            Assert.False(hist[1].VerifyHash());
            Assert.True(hist[2].VerifyHash());
            Assert.Equal(hist[1].Hash, hist[2].PrevHash); // the chain still points at the recorded hash

            // Changing a value is caught by its content hash.
            var e = hist[2];
            Assert.Equal(ValueCodec.ContentHash("c"), e.ContentHash);
            Assert.NotEqual(ValueCodec.ContentHash("C"), e.ContentHash);
        }

        [Fact]
        public void TamperingWithEachHashedField_IsDetected()
        {
            var e = _t.Set("shared", "k", "v", reason: "r").Entry!;
            Assert.True(e.VerifyHash());
            void Check(Action<ProvenanceEntry> change)
            {
                var c = Clone(e);
                change(c);
                Assert.False(c.VerifyHash());
            }
            Check(c => c.Seq++);
            Check(c => c.Version++);
            Check(c => c.Action = "revised");
            Check(c => c.Actor = "x");
            Check(c => c.Reason = null);
            Check(c => c.Namespace = "longterm");
            Check(c => c.Key = "K");
            Check(c => c.MemoryId = "0");
            Check(c => c.Branch = "other");
            Check(c => c.ContentHash = ValueCodec.ContentHash("w"));
            Check(c => c.PrevHash = new string('0', 64));
            Check(c => c.TimestampUtc = c.TimestampUtc.AddTicks(1));
            Check(c => c.Details = new EngramMap { { "x", 1 } });
            // The value itself is not hashed (it is pinned by ContentHash), so it can be dropped.
            var noValue = Clone(e);
            noValue.HasValue = false;
            noValue.Value = null;
            Assert.True(noValue.VerifyHash());
        }

        private static ProvenanceEntry Clone(ProvenanceEntry e) => new ProvenanceEntry
        {
            Schema = e.Schema, Seq = e.Seq, MemoryId = e.MemoryId, Namespace = e.Namespace, Key = e.Key, Action = e.Action, Actor = e.Actor,
            TimestampUtc = e.TimestampUtc, Branch = e.Branch, Version = e.Version, Reason = e.Reason, ContentHash = e.ContentHash,
            PrevHash = e.PrevHash, Hash = e.Hash, Details = e.Details, HasValue = e.HasValue, Value = e.Value,
        };

        [Fact]
        public void ProvFile_IsAYamlStream_WithATrailerPerEntry()
        {
            _t.Set("shared", "k", "a");
            _t.Set("shared", "k", "b");
            var text = File.ReadAllText(_t.P("_provenance", "shared", "k.prov"));
            var lines = text.Split('\n');
            var trailers = lines.Where(l => l.StartsWith("#~ ", StringComparison.Ordinal)).ToList();
            Assert.Equal(2, trailers.Count);
            Assert.EndsWith("\n", text);
            Assert.StartsWith("#~ ", lines[lines.Length - 2]);
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            for (int i = 0; i < 2; i++)
            {
                var parts = trailers[i].Split(' ');
                Assert.Equal("1", parts[1]);                       // schema
                Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), parts[2]);         // seq
                Assert.Equal((i + 1).ToString(CultureInfo.InvariantCulture), parts[3]);         // version
                Assert.Equal(i == 0 ? "created" : "revised", parts[4]);
                Assert.Equal(hist[i].Hash, parts[6]);
                var start = long.Parse(parts[5], CultureInfo.InvariantCulture);
                Assert.Equal("---", Encoding.UTF8.GetString(File.ReadAllBytes(_t.P("_provenance", "shared", "k.prov")), (int)start, 3));
            }
            Assert.Equal("0", trailers[0].Split(' ')[5]);
            // Every document parses as plain YAML too.
            var stream = new YamlDotNet.RepresentationModel.YamlStream();
            stream.Load(new StringReader(text));
            Assert.Equal(2, stream.Documents.Count);
        }

        [Fact]
        public void ValuesThatLookLikeTrailers_DoNotConfuseTheLog()
        {
            var tricky = "x\n#~ 1 99 99 revised 0 " + new string('a', 64) + "\n";
            _t.Set("shared", "k", tricky);
            _t.Set("shared", "k", new EngramMap { { "#~ 1 2 3 revised 0 abc", "#~ 1 2 3 deleted 0 abc" } });
            _t.Set("shared", "k", new object?[] { "#~ 1 2 3 revised 0 abc\n" });
            _t.Set("shared", "k", "---\n...\n");
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(4, hist.Count);
            Assert.Equal(tricky, hist[0].Value);
            Assert.Equal("---\n...\n", hist[3].Value);
            AssertChain(hist);
            Assert.Equal(new long[] { 3, 4 }, _t.Store.GetProvenance("shared", "k", last: 2).Select(e => e.Seq));
        }

        [Fact]
        public void ReasonsAndActorsWithUnusualText_KeepTheirHashValid()
        {
            var reasons = new[] { "line1\r\nline2", "\ttabbed", "trailing\t", "ls\u2028ps\u2029", "a *b", "null", "42", "#x", "\u0085nel", "multi\nline\n" };
            for (int i = 0; i < reasons.Length; i++)
                _t.Store.Set(new SetRequest("shared", "k", i) { Actor = "act\u2028or " + i, Reason = reasons[i] });
            var hist = _t.Store.GetProvenance("shared", "k").ToList();
            Assert.Equal(reasons, hist.Select(e => e.Reason));
            Assert.Equal(Enumerable.Range(0, reasons.Length).Select(i => "act\u2028or " + i), hist.Select(e => e.Actor));
            AssertChain(hist);
        }

        [Fact]
        public void LongHistory_LastIsCheap_AndChainHolds()
        {
            for (int i = 0; i < 300; i++) _t.Set("shared", "k", "v" + i);
            var hist = _t.Store.GetProvenance("shared", "k", includeValues: false).ToList();
            Assert.Equal(300, hist.Count);
            AssertChain(hist);
            var last3 = _t.Store.GetProvenance("shared", "k", last: 3).ToList();
            Assert.Equal(new[] { "v297", "v298", "v299" }, last3.Select(e => (string)e.Value!));
        }
    }
}
