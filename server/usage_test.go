package server

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/anthropics/cco/server/prices"
)

func TestMeterReadsUsage(t *testing.T) {
	var m meter
	m.jsonBody([]byte(`{"model":"claude-opus-5-5","usage":{"input_tokens":3,"output_tokens":9,
		"cache_read_input_tokens":100,"cache_creation_input_tokens":50,
		"cache_creation":{"ephemeral_5m_input_tokens":20,"ephemeral_1h_input_tokens":30},
		"server_tool_use":{"web_search_requests":2}}}`))
	require.Equal(t, "claude-opus-5-5", m.model)
	require.Equal(t, prices.Usage{InputTokens: 3, OutputTokens: 9, CacheReadInputTokens: 100, CacheCreationInputTokens: 50,
		CacheCreation5mInputTokens: 20, CacheCreation1hInputTokens: 30, WebSearchRequests: 2}, m.usage)

	// A stream: message_delta repeats cumulative counts, and leaves out (or
	// nulls) what it does not know.
	var s meter
	s.event([]byte("event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"model\":\"claude-sonnet-5\"," +
		"\"usage\":{\"input_tokens\":3,\"output_tokens\":1,\"cache_creation_input_tokens\":50," +
		"\"cache_creation\":{\"ephemeral_5m_input_tokens\":0,\"ephemeral_1h_input_tokens\":50}}}}\n\n"))
	s.event([]byte("event: message_delta\ndata: {\"type\":\"message_delta\",\"usage\":{\"output_tokens\":40," +
		"\"cache_creation_input_tokens\":null,\"cache_creation\":null,\"server_tool_use\":{\"web_search_requests\":1}}}\n\n"))
	require.Equal(t, "claude-sonnet-5", s.model)
	require.Equal(t, prices.Usage{InputTokens: 3, OutputTokens: 40, CacheCreationInputTokens: 50,
		CacheCreation1hInputTokens: 50, WebSearchRequests: 1}, s.usage)
}
