using System;
using System.Linq;
using Engram.Core;
using Xunit;

namespace Engram.Storage.Tests
{
    /// <summary>Search and vectors as the engine owns them: the same validation and the same vector rules on every backend.</summary>
    public abstract partial class BackendContract
    {
        [BackendFact]
        public void Search_RefusesTopBelowOne_AndAMissingStore_OnEveryBackend()
        {
            Throws(EngramErrorIds.StoreNotFound, () => S.Search("deploy"));
            Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search("???")); // the query is checked first
            Put(Ns, "deploy-target", "prod");
            Assert.Contains("at least 1", Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search("deploy", null, 0)).Message);
            Throws(EngramErrorIds.InvalidSearchQuery, () => S.Search("deploy", new[] { Ns }, -5));
            Throws(EngramErrorIds.InvalidNamespace, () => S.Search("deploy", new[] { "Not A Namespace!" }));
            Assert.Empty(S.Search("deploy", Array.Empty<string>()));
            Assert.Single(S.Search("deploy", new[] { "SHARED", Ns, "nowhere" }, 1));
        }

        [BackendFact]
        public void Vectors_AreSortedByKey_ReplacedPerKey_AndKeptOnlyForMemoriesThatExist()
        {
            var a = new StoredVector("a", "ha", "m", new[] { 1f, 2f });
            Throws(EngramErrorIds.StoreNotFound, () => S.PutVectors(Ns, new[] { a }));
            Assert.Empty(S.GetVectors(Ns));
            Put(Ns, "a", "alpha");
            Put(Ns, "b", "beta");
            S.PutVectors(Ns, new[] { new StoredVector("b", "hb", "m", new[] { 3f }), a, new StoredVector("ghost", "hg", "m", new[] { 9f }) });
            var stored = Reopen().GetVectors(Ns);
            Assert.Equal(new[] { "a", "b" }, stored.Select(v => v.Key));
            Assert.Equal(new[] { 1f, 2f }, stored[0].Vector);
            Assert.Equal("hb", stored[1].ContentHash);

            S.PutVectors(Ns, new[] { new StoredVector("a", "ha2", "m2", new[] { 5f, 6f, 7f }) });
            stored = Reopen().GetVectors(Ns);
            Assert.Equal(new[] { ("a", "ha2", "m2", 3), ("b", "hb", "m", 1) }, stored.Select(v => (v.Key, v.ContentHash, v.Model, v.Vector.Length)));

            Throws(EngramErrorIds.InvalidKey, () => S.PutVectors(Ns, new[] { new StoredVector("", "h", "m", new[] { 1f }) }));
            Throws(EngramErrorIds.InvalidNamespace, () => S.PutVectors("Not A Namespace!", new[] { a }));
            Assert.Throws<ArgumentException>(() => S.PutVectors(Ns, new StoredVector[] { null! }));
            Assert.Equal(2, Reopen().GetVectors(Ns).Count);

            S.Remove(Ns, "a", "tester");
            S.PutVectors(Ns, Array.Empty<StoredVector>());
            Assert.Equal(new[] { "b" }, Reopen().GetVectors(Ns).Select(v => v.Key));
            Assert.Empty(S.GetVectors("projects"));
        }
    }
}
