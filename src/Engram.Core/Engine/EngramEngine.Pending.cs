using System;
using System.Collections.Generic;
using Engram.Core.Provenance;

namespace Engram.Core.Engine
{
    // Members of the store interface each store still implements itself while issue #14 moves them into the engine.
    public abstract partial class EngramEngine : IEngramBackend
    {
        public abstract ProvenanceHead GetHead(string ns);
        public abstract StoreReport VerifyAgainst(ProvenanceHead head);
        public abstract StoreReport VerifyProvenance(string ns, Func<string, bool>? keyFilter = null);
        public abstract StoreReport Verify(bool repair = false, Action<int, int, string>? progress = null);
    }
}
