# Cognition: -Action/-DerivedFrom/-Confidence, Connect-EngramMemory and Get-EngramLineage.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Derived memories and lineage' {
    BeforeEach {
        $store = New-TestStore
        Set-EngramMemory -Store $store thinking obs1 'user opened the email on day 2'
        Set-EngramMemory -Store $store thinking obs2 'user clicked the link on day 2'
        $obs = Get-EngramMemory -Store $store thinking obs1, obs2
        Set-EngramMemory -Store $store longterm insight 'email on day 2' -Action synthesized -DerivedFrom $obs -Confidence 0.7 -Reason 'they line up'
    }

    It 'records the action and confidence' {
        $p = Get-EngramProvenance -Store $store longterm insight
        $p.Action | Should -Be 'synthesized'
        $p.Details.confidence | Should -Be 0.7
    }

    It 'lists the sources with their pinned versions (Direction Up)' {
        $up = Get-EngramLineage -Store $store longterm insight -Direction Up | Sort-Object SourceKey
        $up.SourceKey | Should -Be @('obs1', 'obs2')
        $up.SourceVersion | Should -Be @(1, 1)
        $up.Confidence | Should -Be @(0.7, 0.7)
    }

    It 'lists what was derived from a source (Direction Down)' {
        $down = Get-EngramLineage -Store $store thinking obs1 -Direction Down
        $down | Should -Not -BeNullOrEmpty
        ($down | ForEach-Object { "$($_.Namespace)/$($_.Key)" }) | Should -Contain 'longterm/insight'
    }

    It 'takes -DerivedFrom as "namespace/key" strings' {
        Set-EngramMemory -Store $store longterm second 'x' -Action inferred -DerivedFrom 'thinking/obs1'
        (Get-EngramLineage -Store $store longterm second -Direction Up).SourceKey | Should -Be 'obs1'
    }

    It 'refuses a source that does not exist with MemoryNotFound' {
        { Set-EngramMemory -Store $store longterm bad 'x' -DerivedFrom 'thinking/nope' -ErrorAction Stop } | Should -Throw -ErrorId 'MemoryNotFound,*'
    }

    It 'refuses a confidence outside 0..1' {
        { Set-EngramMemory -Store $store longterm bad 'x' -Confidence 1.5 -ErrorAction Stop } | Should -Throw
        { Get-EngramMemory -Store $store longterm bad -ErrorAction Stop } | Should -Throw -ErrorId 'MemoryNotFound,*'
    }

    It 'connects two existing memories and both histories say so' {
        Set-EngramMemory -Store $store projects plan 'test the insight'
        Connect-EngramMemory -Store $store -From projects/plan -To longterm/insight -Reason 'plan tests the insight'
        $to = Get-EngramProvenance -Store $store longterm insight -Last 1
        $to.Action | Should -Be 'connected'
        $to.Details.direction | Should -Be 'from'
        $to.Details.with.key | Should -Be 'plan'
        $from = Get-EngramProvenance -Store $store projects plan -Last 1
        $from.Details.direction | Should -Be 'to'
        $from.Details.with.namespace | Should -Be 'longterm'
    }

    It 'Connect-EngramMemory -PassThru returns the entries it wrote' {
        Set-EngramMemory -Store $store projects plan 'p'
        $entries = Connect-EngramMemory -Store $store -From projects/plan -To longterm/insight -PassThru
        $entries | Should -HaveCount 2
        $entries.Action | Should -Be @('connected', 'connected')
    }

    It 'Connect-EngramMemory -WhatIf writes nothing' {
        Set-EngramMemory -Store $store projects plan 'p'
        Connect-EngramMemory -Store $store -From projects/plan -To longterm/insight -WhatIf
        (Get-EngramProvenance -Store $store longterm insight).Action | Should -Not -Contain 'connected'
    }

    It 'tells the story in Export-EngramProvenance' {
        $story = (Export-EngramProvenance -Store $store longterm insight) -join "`n"
        $story | Should -Match 'synthesized'
        $story | Should -Match 'obs1'
    }
}
