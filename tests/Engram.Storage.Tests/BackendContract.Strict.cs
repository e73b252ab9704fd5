using System;
using System.Linq;
using Engram.Core;
using Engram.Core.Provenance;
using Engram.Core.Values;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Strict input on every backend: the value size limit, anchors that prove nothing, dictionary keys.</summary>
    public abstract partial class BackendContract
    {
        [BackendFact]
        public void MaxValueBytes_RefusesLargerValuesBeforeAnythingIsWritten()
        {
            S.Initialize(new StoreConfig { MaxValueBytes = 100 });
            Put(Ns, "fits", new string('x', 100));
            Put(Ns, "utf8", new string('é', 50)); // 2 bytes each: exactly 100
            Assert.Equal(100, ((string)Reopen().Get(Ns, "fits").Value!).Length);

            var ex = Throws(EngramErrorIds.ValueTooLarge, () => Put(Ns, "big", new string('x', 101)));
            Assert.Contains("101 bytes", ex.Message);
            Assert.Contains("100 bytes", ex.Message);
            Throws(EngramErrorIds.ValueTooLarge, () => Put(Ns, "utf8", new string('é', 51)));
            var map = new EngramMap(MapKind.Hashtable) { ["k"] = new string('x', 60), ["l"] = new object?[] { new string('y', 40) } };
            Throws(EngramErrorIds.ValueTooLarge, () => Put(Ns, "map", map));
            Throws(EngramErrorIds.ValueTooLarge, () => Put(Ns, "bin", new byte[76])); // 104 bytes of base64

            var store = Reopen();
            Assert.Null(store.TryGet(Ns, "big"));
            Assert.Null(store.TryGet(Ns, "map"));
            Assert.Equal(new string('é', 50), store.Get(Ns, "utf8").Value);
            Assert.Single(History("utf8"));
            Assert.Equal(new[] { "fits", "utf8" }, store.List(Ns).Select(l => store.Read(l).Key).OrderBy(k => k, StringComparer.Ordinal));
            AssertHealthy(store.Verify());
        }

        [BackendFact]
        public void MaxValueBytes_DefaultIs16MiB()
        {
            Assert.Equal(16L * 1024 * 1024, S.Config.MaxValueBytes);
            Throws(EngramErrorIds.ValueTooLarge, () => Put(Ns, "big", new string('x', 16 * 1024 * 1024 + 1)));
            Assert.Null(Reopen().TryGet(Ns, "big"));
        }

        [BackendFact]
        public void VerifyAgainst_RefusesAnAnchorThatProvesNothing()
        {
            Put(Ns, "a", 1);
            var hash = History("a").Single().Hash;
            Assert.Contains("no entries", Throws(EngramErrorIds.InvalidAnchor, () => S.VerifyAgainst(new ProvenanceHead(Ns, DateTime.UtcNow, Array.Empty<HeadEntry>()))).Message);
            Throws(EngramErrorIds.InvalidAnchor, () => S.VerifyAgainst(S.GetHead("projects"))); // a namespace without history
            Throws(EngramErrorIds.InvalidAnchor, () => S.VerifyAgainst(new ProvenanceHead(Ns, DateTime.UtcNow, new[] { new HeadEntry("a", 1, hash), new HeadEntry("a", 1, hash) })));
            Throws(EngramErrorIds.InvalidAnchor, () => S.VerifyAgainst(new ProvenanceHead(Ns, DateTime.UtcNow, new[] { new HeadEntry("a", 0, hash) })));
            Throws(EngramErrorIds.InvalidAnchor, () => S.VerifyAgainst(new ProvenanceHead(Ns, DateTime.UtcNow, new[] { new HeadEntry("a", 1, "") })));
            AssertHealthy(S.VerifyAgainst(S.GetHead(Ns)));
        }

        [BackendFact]
        public void MapKeys_ThatDifferOnlyInCase_RoundTripExactly()
        {
            foreach (var kind in new[] { MapKind.Hashtable, MapKind.Ordered, MapKind.Object })
            {
                var value = new EngramMap(kind) { ["a"] = 1, ["A"] = "two", ["1"] = 3, ["İ"] = 4, ["i"] = 5 };
                var key = "cs-" + kind;
                Put(Ns, key, value);
                foreach (var read in new[] { Reopen().Get(Ns, key).Value, History(key).Single().Value })
                {
                    var map = Assert.IsType<EngramMap>(read);
                    Assert.Equal(kind, map.Kind);
                    Assert.Equal(new[] { "a", "A", "1", "İ", "i" }, map.Keys);
                    Assert.Equal(1, map["a"]);
                    Assert.Equal("two", map["A"]);
                    Assert.Equal(3, map["1"]);
                }
            }
            AssertHealthy(Reopen().Verify());
        }
    }
}
