using System;
using System.Collections.Generic;

namespace Engram.Core
{
    public sealed partial class EngramStore
    {
        // Placeholder while Find-EngramMemory is being built (replaced in the same change set).
        public IReadOnlyList<SearchHit> Search(string query, IReadOnlyCollection<string>? namespaces = null, int top = 10) => throw new NotImplementedException();
        public IReadOnlyList<StoredVector> GetVectors(string ns) => throw new NotImplementedException();
        public void PutVectors(string ns, IReadOnlyList<StoredVector> vectors) => throw new NotImplementedException();
    }
}
