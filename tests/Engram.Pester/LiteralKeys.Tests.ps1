# Literal keys (issue 13 item 3): -LiteralKey beside every wildcard -Key, piped memories bind as exact keys,
# and -Key patterns are case-sensitive like keys.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Literal keys on <Kind> stores' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    BeforeEach {
        $store = New-TestStore -Kind $Kind
        foreach ($k in 'report[2024]', 'report2', 'Report0') { Set-EngramMemory -Store $store session $k "v-$k" }
        Set-EngramMemory -Store $store shared 'plan[a]' 'tracked' -TrackProvenance
        Set-EngramMemory -Store $store shared plana 'other'
    }

    It 'Remove-EngramMemory -LiteralKey removes only the key spelled exactly' {
        Remove-EngramMemory -Store $store session -LiteralKey 'report[2024]'
        (Get-EngramMemory -Store $store session).Key | Sort-Object | Should -Be @('Report0', 'report2') -Because 'report2 and Report0 must survive'
    }

    It 'a piped memory object is removed by its exact key, never as a pattern' {
        Get-EngramMemory -Store $store session | Where-Object Key -eq 'report[2024]' | Remove-EngramMemory
        @((Get-EngramMemory -Store $store session).Key) | Sort-Object | Should -Be @('Report0', 'report2')
    }

    It 'piping every memory of a namespace removes each exactly once, nothing else' {
        Set-EngramMemory -Store $store other keep 1
        Get-EngramMemory -Store $store session | Remove-EngramMemory -Confirm:$false
        @(Get-EngramMemory -Store $store session).Count | Should -Be 0
        (Get-EngramMemory -Store $store other keep).Value | Should -Be 1
    }

    It 'Get-EngramMemory -LiteralKey gets the key with wildcard characters and nothing else' {
        $m = @(Get-EngramMemory -Store $store session -LiteralKey 'report[2024]')
        $m.Count | Should -Be 1
        $m[0].Value | Should -Be 'v-report[2024]'
    }

    It 'Get-EngramMemory -LiteralKey of a missing key is MemoryNotFound' {
        { Get-EngramMemory -Store $store session -LiteralKey 'report[*]' -ErrorAction Stop } | Should -Throw -ErrorId 'MemoryNotFound,*'
    }

    It 'a piped memory re-reads exactly itself (Get-EngramMemory | Get-EngramMemory)' {
        $again = Get-EngramMemory -Store $store session -LiteralKey 'report[2024]' | Get-EngramMemory
        @($again).Key | Should -Be @('report[2024]')
    }

    It '-Key patterns are case-sensitive, like keys' {
        @(Get-EngramMemory -Store $store session 'report*').Key | Sort-Object | Should -Be @('report[2024]', 'report2')
        @(Get-EngramMemory -Store $store session 'Report*').Key | Should -Be @('Report0')
    }

    It 'Remove-EngramMemory -Key pattern is case-sensitive: report* keeps Report0' {
        Remove-EngramMemory -Store $store session 'report*'
        @(Get-EngramMemory -Store $store session).Key | Should -Be @('Report0')
    }

    It 'Get-EngramProvenance -LiteralKey shows the history of that key only' {
        Set-EngramMemory -Store $store shared plana 'tracked too' -TrackProvenance
        $entries = @(Get-EngramProvenance -Store $store shared -LiteralKey 'plan[a]')
        $entries.Count | Should -Be 1
        $entries[0].Key | Should -Be 'plan[a]'
    }

    It 'a piped memory into Get-EngramProvenance is an exact key' {
        Set-EngramMemory -Store $store shared plana 'tracked too' -TrackProvenance
        $keys = Get-EngramMemory -Store $store shared -LiteralKey 'plan[a]' | Get-EngramProvenance | ForEach-Object Key | Sort-Object -Unique
        @($keys) | Should -Be @('plan[a]')
    }

    It 'Test-EngramProvenance -LiteralKey checks that history only' {
        Set-EngramMemory -Store $store shared plana 'tracked too' -TrackProvenance
        (Test-EngramProvenance -Store $store shared -LiteralKey 'plan[a]').HistoriesChecked | Should -Be 1
        (Test-EngramProvenance -Store $store shared -Key 'plan[a]').HistoriesChecked | Should -Be 2 -Because '-Key is a pattern: plan[a] matches plana too'
    }

    It 'Merge-EngramBranch -LiteralKey merges only the exact key' {
        Set-EngramMemory -Store $store shared plana 'tracked too' -TrackProvenance
        New-EngramFork -Store $store shared -Branch idea | Out-Null
        Set-EngramMemory -Store $store shared 'plan[a]' 'branch value' -Branch idea
        Set-EngramMemory -Store $store shared plana 'branch other' -Branch idea
        $r = Merge-EngramBranch -Store $store shared -Branch idea -LiteralKey 'plan[a]'
        $r.Merged | Should -Be @('plan[a]')
        (Get-EngramMemory -Store $store shared plana).Value | Should -Be 'tracked too'
    }

    It 'an Engram CSV export piped back removes by its PSKey column, literally' {
        $csv = Join-Path $TestDrive "keys-$Kind.csv"
        Get-EngramMemory -Store $store session -LiteralKey 'report[2024]' | Export-Csv -LiteralPath $csv
        Import-Csv -LiteralPath $csv | Remove-EngramMemory -Store $store
        @(Get-EngramMemory -Store $store session).Key | Sort-Object | Should -Be @('Report0', 'report2')
    }

    It 'a foreign row with only a Key column binds -Key, a pattern (the -Path convention)' {
        [pscustomobject]@{ Namespace = 'session'; Key = 'report?' } | Remove-EngramMemory -Store $store
        @(Get-EngramMemory -Store $store session).Key | Sort-Object | Should -Be @('report[2024]', 'Report0')
    }

    It 'the memory objects carry PSKey equal to Key' {
        $m = Get-EngramMemory -Store $store session -LiteralKey 'report[2024]'
        $m.PSKey | Should -BeExactly 'report[2024]'
    }
}

Describe 'Literal key parameters and help' {
    It '<Command> has -LiteralKey without wildcards or aliases' -ForEach @(
        @{ Command = 'Get-EngramMemory' }, @{ Command = 'Remove-EngramMemory' }, @{ Command = 'Get-EngramProvenance' },
        @{ Command = 'Test-EngramProvenance' }, @{ Command = 'Merge-EngramBranch' }) {
        $p = (Get-Command $Command).Parameters['LiteralKey']
        $p | Should -Not -BeNullOrEmpty
        $p.Attributes.Where({ $_ -is [System.Management.Automation.SupportsWildcardsAttribute] }) | Should -BeNullOrEmpty
        $p.Aliases | Where-Object { $_ -ne 'PSKey' } | Should -BeNullOrEmpty -Because 'only the pipeline binding name PSKey'
        (Get-Help $Command -Parameter LiteralKey).description.Text | Should -Match 'wildcard'
    }

    It 'Get-Help says -Key patterns are case-sensitive' {
        (Get-Help Remove-EngramMemory -Parameter Key).description.Text | Should -Match 'case-sensitive'
    }
}
