using System;
using System.IO;
using System.Linq;
using System.Text;
using Engram.Core;
using Xunit;
using static Engram.Core.Tests.TestUtil;

namespace Engram.Core.Tests
{
    /// <summary>Files Engram cannot read: every such error is reported with its id, and the store is left byte-for-byte as it was.</summary>
    public class BadDataTests : IDisposable
    {
        private readonly TempStore _t = new TempStore();

        public void Dispose() => _t.Dispose();

        private static void Write(string path, string text) => File.WriteAllText(path, text, new UTF8Encoding(false));

        [Theory]
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: 1\nvalue: [unclosed\n")]
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: 1\n")]                         // no value
        [InlineData("engram: 1\nkey: bad\nversion: 1\nvalue: 1\n")]                         // no id
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: x\nvalue: 1\n")]                // bad version
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: 1\nvalue: !nope 1\n")]          // unknown tag
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: 1\nvalue: {a: 1, a: 2}\n")]     // duplicate map key
        [InlineData("engram: 1\nid: abc\nkey: bad\nversion: 1\nvalue: !long notanumber\n")]
        [InlineData("- just\n- a list\n")]
        [InlineData("id: abc\nkey: bad\nversion: 1\nvalue: 1\n")]                           // no format
        [InlineData("engram: 1\nid: abc\nkey: other\nversion: 1\nvalue: 1\n")]              // someone else's key
        [InlineData("")]
        public void MalformedMemoryFile_IsReported_WithThePath_AndNothingChanges(string content)
        {
            _t.Set("shared", "good1", 1);
            _t.Set("shared", "bad", 2);
            _t.Set("shared", "good2", 3);
            var path = _t.P("shared", "bad.yaml");
            Write(path, content);
            var before = Snapshot(_t.Root);

            var ex = Throws(EngramErrorIds.MalformedMemoryFile, () => _t.Reopen().Get("shared", "bad"));
            Assert.Equal(path, ex.Target);
            Assert.Contains(path, ex.Message);
            Assert.Equal(EngramErrorKind.InvalidData, ex.Kind);

            // The rest of the namespace is still readable.
            var readable = 0;
            foreach (var loc in _t.Store.List("shared"))
            {
                if (loc.Key == "bad") { Throws(EngramErrorIds.MalformedMemoryFile, () => _t.Store.Read(loc)); continue; }
                Assert.Equal(loc.Key, _t.Store.Read(loc).Key);
                readable++;
            }
            Assert.Equal(2, readable);
            Assert.Equal(3, _t.Store.Get("shared", "good2").Value);

            // Writes over it are refused and touch nothing.
            Throws(EngramErrorIds.MalformedMemoryFile, () => _t.Set("shared", "bad", 99));
            Throws(EngramErrorIds.MalformedMemoryFile, () => _t.Set("shared", "bad", 99, track: false));
            Throws(EngramErrorIds.MalformedMemoryFile, () => _t.Store.Remove("shared", "bad", "tester"));
            // Its history stays readable: it is what Test-EngramStore -Repair rebuilds the file from.
            Assert.Equal(new object?[] { 2 }, _t.Store.GetProvenance("shared", "bad").Select(e => e.Value).ToArray());
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal(content, File.ReadAllText(path));

            // Other memories can still be written.
            _t.Set("shared", "good1", 10);
            Assert.Equal(content, File.ReadAllText(path));
        }

        [Fact]
        public void NewerMemoryFormat_IsUnsupported_AndNotTouched()
        {
            _t.Set("session", "k", 1);
            var path = _t.P("session", "k.yaml");
            Write(path, $"engram: {MemoryRecord.CurrentFormat + 1}\nid: abc\nkey: k\nversion: 1\nvalue: 1\nsomething: {{new: true}}\n");
            var before = Snapshot(_t.Root);
            var ex = Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.Get("session", "k"));
            Assert.Equal(EngramErrorKind.NotSupported, ex.Kind);
            Assert.Contains(path, ex.Message);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Set("session", "k", 2));
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.Remove("session", "k", "tester"));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void UnknownFieldsInAMemoryFile_AreIgnored()
        {
            _t.Set("session", "k", 1);
            var path = _t.P("session", "k.yaml");
            File.AppendAllText(path, "futureField: {a: [1, 2]}\n");
            Assert.Equal(1, _t.Store.Get("session", "k").Value);
        }

        [Fact]
        public void NewerStoreFormat_IsRefusedOnReadAndWrite_AndTheStoreIsNotChanged()
        {
            _t.Set("shared", "k", 1);
            _t.Set("session", "s", 1);
            var cfg = _t.P("engram.yaml");
            Write(cfg, $"format: {StoreConfig.CurrentFormat + 1}\nprovenance:\n  track: [shared]\nnewSetting: yes\n");
            var before = Snapshot(_t.Root);

            foreach (Action a in new Action[]
            {
                () => _t.Reopen().EnsureExists(),
                () => _t.Reopen().Get("shared", "k"),
                () => _ = _t.Reopen().GetProvenance("shared", "k").ToList(),
                () => _t.Reopen().Set(new SetRequest("shared", "k", 2) { Actor = "t" }),
                () => _t.Reopen().Set(new SetRequest("shared", "new", 2) { Actor = "t" }),
                () => _t.Reopen().Set(new SetRequest("session", "s", 2) { Actor = "t" }),
                () => _t.Reopen().Remove("session", "s", "t"),
                () => _t.Reopen().Initialize(),
                () => _t.Reopen().Initialize(new StoreConfig(), force: true),
            })
            {
                var ex = Throws(EngramErrorIds.UnsupportedFormatVersion, a);
                Assert.Equal(EngramErrorKind.NotSupported, ex.Kind);
            }
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.StartsWith($"format: {StoreConfig.CurrentFormat + 1}\n", File.ReadAllText(cfg));
        }

        [Fact]
        public void NewerStoreFormat_FreshFolder_GetsNoLockFileEither()
        {
            Directory.CreateDirectory(_t.Root);
            Write(_t.P("engram.yaml"), $"format: {StoreConfig.CurrentFormat + 1}\n");
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Set("shared", "k", 1));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Theory]
        [InlineData("format: nope\n")]
        [InlineData("format: 0\n")]
        [InlineData("provenance:\n  track: [shared]\n")]
        [InlineData("format: 1\nprovenance:\n  track: [_bad]\n")]
        [InlineData("format: 1\nprovenance:\n  track: 5\n")]
        [InlineData("format: 1\ndurability: sometimes\n")]
        [InlineData("format: [1\n")]
        [InlineData("- 1\n")]
        public void MalformedStoreConfig_IsReported_AndNotRewritten(string content)
        {
            Directory.CreateDirectory(_t.Root);
            Write(_t.P("engram.yaml"), content);
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MalformedStoreConfig, () => _t.Reopen().EnsureExists());
            Throws(EngramErrorIds.MalformedStoreConfig, () => _t.Reopen().Set(new SetRequest("shared", "k", 1) { Actor = "t" }));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void StoreConfig_TrackAllAndCustomLists_AreHonoured()
        {
            Directory.CreateDirectory(_t.Root);
            Write(_t.P("engram.yaml"), "format: 1\nprovenance:\n  track: [Project-X]\ndurability: full\n");
            var s = _t.Reopen();
            Assert.Equal(Engram.Core.Storage.Durability.Full, s.Config.Durability);
            s.Set(new SetRequest("project-x", "k", 1) { Actor = "t" });
            s.Set(new SetRequest("shared", "k", 1) { Actor = "t" });
            Assert.True(File.Exists(_t.P("_provenance", "project-x", "k.prov")));
            Assert.False(File.Exists(_t.P("_provenance", "shared", "k.prov")));
            Assert.StartsWith("format: 1\nprovenance:\n  track: [Project-X]", File.ReadAllText(_t.P("engram.yaml"))); // never rewritten by a write
        }

        private string CorruptTrailerSchema()
        {
            _t.Set("shared", "k", 1);
            _t.Set("shared", "k", 2);
            var prov = _t.P("_provenance", "shared", "k.prov");
            var text = File.ReadAllText(prov);
            var last = text.LastIndexOf("\n#~ 1 ", StringComparison.Ordinal);
            Assert.True(last > 0);
            Write(prov, text.Substring(0, last) + $"\n#~ {Engram.Core.Provenance.ProvenanceEntry.CurrentSchema + 1} " + text.Substring(last + "\n#~ 1 ".Length));
            return prov;
        }

        [Fact]
        public void NewerProvenanceSchema_IsRefused_AndTheLogIsUnchanged()
        {
            var prov = CorruptTrailerSchema();
            var before = Snapshot(_t.Root);
            var ex = Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Set("shared", "k", 3));
            Assert.Contains(prov, ex.Message);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.GetProvenance("shared", "k").ToList());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.GetProvenance("shared", "k", last: 1).ToList());
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.Remove("shared", "k", "tester"));
            AssertUnchanged(before, Snapshot(_t.Root));
            // The memory itself is still readable.
            Assert.Equal(2, _t.Store.Get("shared", "k").Value);
        }

        [Fact]
        public void NewerProvenanceSchema_InsideAnEntry_IsRefused()
        {
            _t.Set("shared", "k", 1);
            var prov = _t.P("_provenance", "shared", "k.prov");
            var text = File.ReadAllText(prov);
            Write(prov, text.Replace("schema: 1\n", $"schema: {Engram.Core.Provenance.ProvenanceEntry.CurrentSchema + 1}\n"));
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.UnsupportedFormatVersion, () => _t.Store.GetProvenance("shared", "k").ToList());
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void GarbageProvenance_IsMalformed_AndUnchanged()
        {
            _t.Set("shared", "k", 1);
            var prov = _t.P("_provenance", "shared", "k.prov");
            Write(prov, "this is not a provenance log\n");
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Set("shared", "k", 2));
            Throws(EngramErrorIds.MalformedProvenance, () => _t.Store.GetProvenance("shared", "k").ToList());
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        public static TheoryData<string, string> InvalidWrites => new TheoryData<string, string>
        {
            { "a/b", "k" }, { "..", "k" }, { "", "k" }, { "_provenance", "k" }, { "con", "k" }, { "shared", "" }, { "shared", "a\nb" },
            { "shared", new string('k', 513) },
        };

        [Theory]
        [MemberData(nameof(InvalidWrites))]
        public void InvalidNamespaceOrKey_DoesNotEvenCreateTheStore(string ns, string key)
        {
            var ex = Assert.Throws<EngramException>(() => _t.Set(ns, key, 1));
            Assert.Contains(ex.ErrorId, new[] { EngramErrorIds.InvalidNamespace, EngramErrorIds.ReservedNamespace, EngramErrorIds.InvalidKey });
            Assert.False(Directory.Exists(_t.Root));
            Assert.Empty(Directory.GetFileSystemEntries(_t.Parent));
        }

        [Fact]
        public void InvalidValue_DoesNotEvenCreateTheStore()
        {
            Throws(EngramErrorIds.UnsupportedValueType, () => _t.Set("shared", "k", new object()));
            var self = new object?[1];
            self[0] = self;
            Throws(EngramErrorIds.ValueTooDeep, () => _t.Set("shared", "k", self));
            Assert.False(Directory.Exists(_t.Root));
        }

        [Fact]
        public void UnpairedSurrogates_AreRefusedWithAnEngramError_BeforeAnythingIsWritten()
        {
            foreach (var v in new object?[] { "x\ud800", new object?[] { "ok", "\udc00" }, new EngramMapBuilder().With("k\ud800", 1).Map, '\ud800' })
            {
                var ex = Throws(EngramErrorIds.UnsupportedValueType, () => _t.Set("shared", "k", v));
                Assert.Equal(EngramErrorKind.InvalidArgument, ex.Kind);
                Throws(EngramErrorIds.UnsupportedValueType, () => Engram.Core.Values.ValueCodec.ContentHash(v));
            }
            Assert.False(Directory.Exists(_t.Root));

            _t.Set("shared", "k", 1);
            var before = Snapshot(_t.Root);
            Assert.Throws<EngramException>(() => _t.Set("shared", "k", 2, tags: new[] { "t\ud800" }));
            Assert.Throws<EngramException>(() => _t.Set("shared", "k", 2, actor: "a\ud800"));
            Assert.Throws<EngramException>(() => _t.Set("shared", "k", 2, reason: "r\udc00"));
            Assert.Throws<EngramException>(() => _t.Set("shared", "new", 2, reason: "r\udc00"));
            AssertUnchanged(before, Snapshot(_t.Root));
            Assert.Equal(1, _t.Store.Get("shared", "k").Version);
            Assert.Equal("x\ud83d\ude00", _t.Set("shared", "k", "x\ud83d\ude00").Memory.Value); // a proper pair is fine
        }

        private sealed class EngramMapBuilder
        {
            public Engram.Core.Values.EngramMap Map { get; } = new Engram.Core.Values.EngramMap();
            public EngramMapBuilder With(string k, object? v) { Map.Add(k, v); return this; }
        }

        [Fact]
        public void InvalidValue_OnAnExistingMemory_ChangesNothing()
        {
            _t.Set("shared", "k", 1);
            var before = Snapshot(_t.Root);
            Throws(EngramErrorIds.UnsupportedValueType, () => _t.Set("shared", "k", new object?[] { 1, new object() }));
            AssertUnchanged(before, Snapshot(_t.Root));
        }

        [Fact]
        public void ForeignFilesInANamespace_AreNotListed()
        {
            _t.Set("session", "k", 1);
            Write(_t.P("session", "README.yaml"), "not ours");
            Write(_t.P("session", "notes.txt"), "not ours");
            Write(_t.P("session", "con.yaml"), "not ours"); // an unescaped device name is never written by Engram
            Assert.Equal(new[] { "k" }, _t.Store.List("session").Select(l => l.Key).ToArray());
            Assert.Equal(1, _t.Store.Get("session", "k").Value);
        }
    }
}
