# Find-EngramMemory: ranked full-text search over keys and values.
BeforeAll { . (Join-Path $PSScriptRoot 'TestSetup.ps1') }

Describe 'Find-EngramMemory' -ForEach @(@{ Kind = 'File' }, @{ Kind = 'Sqlite' }) {
    BeforeAll {
        $store = New-TestStore -Kind $Kind
        Set-EngramMemory -Store $store shared deploy-target 'production cluster in eu-west'
        Set-EngramMemory -Store $store shared web-config @{ port = 8080; hosts = @('web-1', 'web-2') }
        Set-EngramMemory -Store $store longterm lesson 'always deploy on tuesday'
        Set-EngramMemory -Store $store session scratch 'nothing relevant here'
    }

    It 'finds by a word in the value (<Kind>)' {
        (Find-EngramMemory 'production' -Store $store).Key | Should -Be 'deploy-target'
    }

    It 'finds by a word in the key (<Kind>)' {
        (Find-EngramMemory 'lesson' -Store $store).Key | Should -Be 'lesson'
    }

    It 'ranks results 1, 2, ... best first (<Kind>)' {
        $hits = Find-EngramMemory 'deploy' -Store $store
        $hits.Count | Should -BeGreaterOrEqual 2
        # ForEach-Object, not $hits.Rank: an array's own Rank property (its dimensions, 1) hides member enumeration.
        $hits | ForEach-Object Rank | Should -Be (1..$hits.Count)
        $hits[0].Score | Should -BeGreaterOrEqual $hits[1].Score
        $hits[0].Key | Should -Be 'deploy-target'
    }

    It 'limits with -Namespace (<Kind>)' {
        (Find-EngramMemory 'deploy' -Namespace longterm -Store $store).Key | Should -Be 'lesson'
    }

    It 'limits with -Top (<Kind>)' {
        Find-EngramMemory 'deploy' -Top 1 -Store $store | Should -HaveCount 1
    }

    It 'finds inside structured values (<Kind>)' {
        (Find-EngramMemory 'web port' -Namespace shared -Store $store).Key | Should -Contain 'web-config'
    }

    It 'returns memories that pipe into Get-EngramMemory''s consumers (<Kind>)' {
        $json = Find-EngramMemory 'production' -Store $store | Select-Object Namespace, Key, Value | ConvertTo-Json -Compress
        $json | Should -BeLike '*"Key":"deploy-target"*'
    }

    It 'returns nothing for a word no memory holds (<Kind>)' {
        Find-EngramMemory 'zebra' -Store $store | Should -BeNullOrEmpty
    }

    It 'refuses a query without letters or digits with InvalidSearchQuery (<Kind>)' {
        { Find-EngramMemory '???' -Store $store -ErrorAction Stop } | Should -Throw -ErrorId 'InvalidSearchQuery,*'
    }

    It 'refuses -Semantic without embeddings configured with EmbeddingsNotConfigured (<Kind>)' {
        { Find-EngramMemory 'where do we deploy' -Semantic -Store $store -ErrorAction Stop } | Should -Throw -ErrorId 'EmbeddingsNotConfigured,*'
    }
}
