// The `etcd` policy provider against a real etcd 3.4 (etcd_test_server.hpp: started by each
// case on free loopback ports, changed with etcdctl, killed and restarted mid-test): a put
// becomes a generation within a second, a bad document or a deletion keeps the running one and
// says why, the watch survives etcd going away (resuming from the last revision it saw, or
// reading again after a compaction), the saved copy starts a process while etcd is down, and a
// prefix's keys compose one document whose errors name the key they are in.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

#include "etcd_test_server.hpp"
#include "feed_test_helpers.hpp"  // last: it imports recourse.host.runtime

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using etcd_test::EtcdServer;
using feed_test::accepted;
using feed_test::eventually;
using feed_test::Running;

namespace {

constexpr std::string_view key = "/recourse/checkout";

std::string document(int attempts, std::string_view pattern = "svc.*") {
  return "[policies.\"" + std::string(pattern) + "\"]\nretry.max_attempts = " + std::to_string(attempts) +
         "\nretry.initial_backoff = \"0s\"\nretry.jitter = \"none\"\n";
}

// A config with the etcd provider. Short waits everywhere: the control plane's own key retries
// twice without waiting, a watch is reopened after 20 ms growing to 200 ms.
std::string config(const std::string& endpoints, const std::string& watched, const std::string& extra = "",
                   std::string_view backoff = "reconnect_backoff = \"20ms\"\nmax_reconnect_backoff = \"200ms\"\n") {
  return std::string("[plugins]\npaths = [\"") + RECOURSE_PLUGIN_DIR +
         "\"]\n"
         "[provider]\nplugin = \"etcd\"\nendpoints = [" +
         endpoints + "]\n" + watched + "\nconnect_timeout = \"200ms\"\ntimeout = \"1s\"\n" + std::string(backoff) +
         extra +
         "\n[policies.\"recourse.control_plane\"]\nretry.max_attempts = 2\nretry.initial_backoff = \"1ms\"\n"
         "retry.jitter = \"none\"\n"
         "[defaults]\nretry.max_attempts = 1\n";
}
std::string key_config(const EtcdServer& etcd, const std::string& extra = "") {
  return config("\"" + etcd.endpoint() + "\"", "key = \"" + std::string(key) + "\"", extra);
}

struct TempDir {
  fs::path path;
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "recourse-etcd-provider-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

// The feed's status is written just after the host has taken a document (the generation moves
// first): a check of it after a generation change waits, bounded, for it to say so.
bool settles(const std::function<bool()>& holds) { return eventually(holds, 5s); }

// The watch is open: a put of the text in force comes back through it (counted as unchanged).
void wait_until_watching(Running& running, const EtcdServer& etcd, const std::string& text) {
  const std::uint64_t unchanged = running.status().unchanged;
  etcd.put(std::string(key), text);
  BOOST_REQUIRE(eventually([&] { return running.status().unchanged > unchanged; }));
}

// Changes etcd while the feed cannot watch it: etcd comes back on a client port the feed does
// not know, `change` runs against it, and it goes again — then it is back where the feed looks.
void change_unseen(EtcdServer& etcd, const std::function<void()>& change) {
  const int port = etcd.port();
  int other = etcd_test::free_port();
  while (other == port) other = etcd_test::free_port();
  etcd.kill();
  etcd.start(other);
  change();
  etcd.kill();
  etcd.start(port);
}

// Waits for the generation to move past `generation`; the new one, or 0 when it did not.
std::uint64_t next_generation(Running& running, std::uint64_t generation, std::chrono::milliseconds bound = 10s) {
  return eventually([&] { return running.generation() > generation; }, bound) ? running.generation() : 0;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(etcd_provider)

BOOST_AUTO_TEST_CASE(the_document_in_etcd_is_in_force_at_start_and_a_put_is_applied_within_a_second) {
  EtcdServer etcd;
  etcd.put(std::string(key), document(3));
  Running running(key_config(etcd));
  // Loading waited for the first read (initial_wait): the document is in force when load returns.
  BOOST_TEST(running.generation() == 2u);
  BOOST_TEST(running.attempts("svc.Get") == 3);
  BOOST_TEST((running.source("svc.Get") == recourse::PolicySource::remote));
  BOOST_TEST(running.status().target == etcd.endpoint() + " key " + std::string(key));
  BOOST_TEST(running.status().version == std::to_string(etcd.mod_revision(std::string(key))));
  BOOST_TEST(running.status().last_error.empty());

  // A put, measured from etcdctl's return to the new generation: the watch delivers it.
  const std::uint64_t before = running.generation();
  etcd.put(std::string(key), document(5));
  const auto put_returned = std::chrono::steady_clock::now();
  BOOST_REQUIRE(next_generation(running, before, 5s) == before + 1);
  const auto latency_us =
      std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - put_returned).count();
  BOOST_TEST_MESSAGE("etcd put -> generation: " << latency_us << " us");
  BOOST_TEST(latency_us < 1'000'000);
  BOOST_TEST(running.attempts("svc.Get") == 5);
  BOOST_TEST(settles([&, put = std::to_string(etcd.mod_revision(std::string(key)))] {
               return running.status().version == put;
             }),
             running.status().version);
  // An open watch keeps the document fresh: last_good moves on with no put at all.
  const auto last_good = running.status().last_good;
  BOOST_REQUIRE(last_good.has_value());
  BOOST_TEST(eventually([&] { return running.status().last_good > last_good; }, 5s));

  // The same text again: a new mod_revision, no new generation.
  etcd.put(std::string(key), document(5));
  BOOST_TEST(eventually([&] { return running.status().unchanged >= 1u; }, 5s));
  BOOST_TEST(running.generation() == before + 1);
  BOOST_TEST(running.status().version == std::to_string(etcd.mod_revision(std::string(key))));

  // Deleted: the running policies stay, and observers hear why.
  std::size_t events = running.events->size();
  etcd.del(std::string(key));
  BOOST_TEST(running.events->wait_for_error(events, "provider_error document_deleted").has_value());
  BOOST_TEST(running.generation() == before + 1);
  BOOST_TEST(running.attempts("svc.Get") == 5);
  BOOST_TEST(running.status().last_error.starts_with("document_deleted"), running.status().last_error);
  etcd.put(std::string(key), document(6));
  BOOST_REQUIRE(next_generation(running, before + 1) == before + 2);
  BOOST_TEST(running.attempts("svc.Get") == 6);
  BOOST_TEST(settles([&] { return running.status().last_error.empty(); }), running.status().last_error);

  // Stopping does not wait for curl's once-a-second progress callback: the watch is woken.
  const auto stopping = std::chrono::steady_clock::now();
  running.runtime.reset();
  const auto stop_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - stopping).count();
  // The whole teardown (plugins unloaded too), with room for the sanitizer builds: a watch left
  // to curl's idle callback would take up to a second on its own.
  BOOST_TEST(stop_ms < 700);
}

BOOST_AUTO_TEST_CASE(a_bad_document_is_refused_with_its_location_and_the_running_generation_stays) {
  EtcdServer etcd;
  etcd.put(std::string(key), document(3));
  Running running(key_config(etcd));
  BOOST_REQUIRE(running.attempts("svc.Get") == 3);
  const std::uint64_t generation = running.generation();

  const auto expect_refused = [&](const std::string& text, std::string_view fragment) {
    const std::size_t before = running.events->size();
    const std::uint64_t refused = running.status().refused;
    etcd.put(std::string(key), text);
    const auto event = running.events->wait_for_error(before, fragment);
    BOOST_TEST(event.has_value(), "no refusal naming \"" << fragment << "\"");
    BOOST_TEST(eventually([&] { return running.status().refused > refused; }));
    const std::string last_error = running.status().last_error;
    BOOST_TEST(last_error.starts_with("invalid_document: "), last_error);
    BOOST_TEST(last_error.find(fragment) != std::string::npos, last_error);
    BOOST_TEST(running.generation() == generation);
    BOOST_TEST(running.attempts("svc.Get") == 3);  // the last good document still serves
  };
  expect_refused("[policies.\"svc.*\"\nretry.max_attempts = 2\n", "etcd:/recourse/checkout:1:");
  expect_refused("[budgets.b]\nplugin = \"token_bucket\"\ncapacity = 1\nrefill_per_second = 1\n",
                 "holds [defaults] and [policies");
  expect_refused("[policies.\"svc.*\"]\nretry.max_attempts = \"many\"\n",
                 "etcd:/recourse/checkout:2:22: policies.\"svc.*\".retry.max_attempts");
  expect_refused("", "an empty policy document");

  etcd.put(std::string(key), document(4));
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("svc.Get") == 4);
  BOOST_TEST(settles([&] { return running.status().last_error.empty(); }), running.status().last_error);
}

BOOST_AUTO_TEST_CASE(while_etcd_is_down_the_last_good_generation_stays_and_the_watch_comes_back) {
  EtcdServer etcd;
  etcd.put(std::string(key), document(3));
  Running running(key_config(etcd));
  BOOST_REQUIRE(running.attempts("svc.Get") == 3);
  const std::uint64_t generation = running.generation();

  wait_until_watching(running, etcd, document(3));
  std::size_t events = running.events->size();
  etcd.kill();
  // The watch's end is reported, then every failed reopening (nothing listens now).
  BOOST_TEST(running.events->wait_for_error(events, "provider_error connection_reset").has_value());
  BOOST_TEST(running.events->wait_for_error(events, "provider_error connect_failed").has_value());
  BOOST_TEST(running.generation() == generation);
  BOOST_TEST(running.attempts("svc.Get") == 3);  // calls go on under the last good document
  BOOST_TEST((running.source("svc.Get") == recourse::PolicySource::remote));
  const recourse::FeedStatus down = running.status();
  BOOST_TEST(!down.last_error.empty());
  BOOST_TEST(down.failures >= 2u);

  etcd.start();
  etcd.put(std::string(key), document(7));  // after the restart: only a reopened watch sees it
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("svc.Get") == 7);
  BOOST_TEST(eventually([&] { return running.status().last_error.empty(); }));
  BOOST_TEST(settles([&, put = std::to_string(etcd.mod_revision(std::string(key)))] {
               return running.status().version == put;
             }),
             running.status().version);
}

BOOST_AUTO_TEST_CASE(a_put_made_while_the_watch_was_down_arrives_when_it_resumes) {
  EtcdServer etcd;
  etcd.put(std::string(key), document(3));
  Running running(key_config(etcd));
  BOOST_REQUIRE(running.attempts("svc.Get") == 3);
  const std::uint64_t generation = running.generation();

  std::int64_t put_at = 0;
  change_unseen(etcd, [&] {
    etcd.put(std::string(key), document(8));
    put_at = etcd.mod_revision(std::string(key));
    BOOST_TEST(running.generation() == generation);
  });
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("svc.Get") == 8);
  BOOST_TEST(settles([&] { return running.status().version == std::to_string(put_at); }), running.status().version);
}

BOOST_AUTO_TEST_CASE(a_compaction_past_the_last_seen_revision_is_read_again) {
  EtcdServer etcd;
  etcd.put(std::string(key), document(3));
  Running running(key_config(etcd));
  BOOST_REQUIRE(running.attempts("svc.Get") == 3);
  const std::uint64_t generation = running.generation();

  // While the feed cannot watch: two puts, then the history compacted past both. The revision
  // the watch would resume from is gone; only a new read finds the latest document.
  std::int64_t latest = 0;
  change_unseen(etcd, [&] {
    etcd.put(std::string(key), document(4));
    etcd.put(std::string(key), document(5));
    latest = etcd.mod_revision(std::string(key));
    etcd.compact(etcd.revision());
  });
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("svc.Get") == 5);
  BOOST_TEST(settles([&] { return running.status().version == std::to_string(latest); }), running.status().version);
  // Watching again from the re-read revision: the next put arrives as usual.
  etcd.put(std::string(key), document(6));
  BOOST_REQUIRE(next_generation(running, generation + 1) == generation + 2);
  BOOST_TEST(running.attempts("svc.Get") == 6);
  BOOST_TEST(running.generation() == generation + 2);  // document(4) was never a generation
}

BOOST_AUTO_TEST_CASE(a_process_started_while_etcd_is_down_starts_from_the_cache_file) {
  TempDir dir;
  const std::string cache = "cache_file = \"" + (dir.path / "saved.toml").string() + "\"";
  EtcdServer etcd;
  etcd.put(std::string(key), document(4));
  const std::int64_t revision = etcd.mod_revision(std::string(key));
  {
    Running running(key_config(etcd, cache));
    BOOST_REQUIRE(running.attempts("svc.Get") == 4);
  }
  std::ifstream saved(dir.path / "saved.toml");
  std::stringstream text;
  text << saved.rdbuf();
  BOOST_TEST(text.str().find("retry.max_attempts = 4") != std::string::npos, text.str());
  BOOST_TEST(text.str().find("version: " + std::to_string(revision)) != std::string::npos, text.str());

  etcd.kill();
  Running restarted(key_config(etcd, cache));
  BOOST_TEST(restarted.attempts("svc.Get") == 4);
  BOOST_TEST((restarted.source("svc.Get") == recourse::PolicySource::last_known_good));
  BOOST_TEST(restarted.events->wait_for_error(0, "provider_error connect_failed").has_value());
  BOOST_TEST(restarted.generation() == 1u);
  BOOST_TEST(restarted.status().version.empty());  // nothing from etcd yet

  // etcd is back: its document replaces the saved copy, now as remote.
  etcd.start();
  BOOST_REQUIRE(next_generation(restarted, 1) == 2u);
  BOOST_TEST((restarted.source("svc.Get") == recourse::PolicySource::remote));
  BOOST_TEST(settles([&] { return restarted.status().version == std::to_string(revision); }),
             restarted.status().version);
}

BOOST_AUTO_TEST_CASE(a_prefix_composes_its_keys_in_key_order_and_errors_name_the_key) {
  EtcdServer etcd;
  const std::string prefix = "/recourse/checkout/";
  etcd.put(prefix + "a", document(2, "svc.*"));
  etcd.put(prefix + "b", document(4, "pay.*"));
  etcd.put("/recourse/checkout-other", document(9, "other.*"));  // not under the prefix
  // The first endpoint refuses connections: the second one is tried.
  Running running(
      config("\"http://127.0.0.1:" + std::to_string(etcd_test::free_port()) + "\", \"" + etcd.endpoint() + "\"",
             "prefix = \"" + prefix + "\""));
  BOOST_TEST(running.attempts("svc.Get") == 2);
  BOOST_TEST(running.attempts("pay.Charge") == 4);
  BOOST_TEST(running.attempts("other.Get") == 0);  // no policy: denied
  BOOST_TEST(running.status().target == etcd.endpoint() + " prefix " + prefix);
  BOOST_TEST(running.status().version == std::to_string(etcd.mod_revision(prefix + "b")));
  std::uint64_t generation = running.generation();

  // An error on line 2 of key b is reported there, not at the composed text's line.
  std::size_t events = running.events->size();
  etcd.put(prefix + "b", "[policies.\"pay.*\"]\nretry.max_attempts = \"many\"\n");
  BOOST_TEST(
      running.events->wait_for_error(events, "etcd:/recourse/checkout/b:2:22: policies.\"pay.*\".retry.max_attempts")
          .has_value());
  BOOST_TEST(eventually([&] {
               return running.status().last_error.find("etcd:/recourse/checkout/b:2:22") != std::string::npos;
             }),
             running.status().last_error);
  BOOST_TEST(running.generation() == generation);
  BOOST_TEST(running.attempts("pay.Charge") == 4);

  // A value that does not start with a table would join the previous key's table: refused.
  events = running.events->size();
  etcd.put(prefix + "b", "retry.max_attempts = 3\n");
  BOOST_TEST(
      running.events->wait_for_error(events, "etcd:/recourse/checkout/b:1:1: a value under a prefix").has_value());
  BOOST_TEST(running.generation() == generation);

  etcd.put(prefix + "b", document(5, "pay.*"));
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("pay.Charge") == 5);
  generation = running.generation();

  // A third key joins; deleting one recomposes from the rest.
  etcd.put(prefix + "c", document(6, "ship.*"));
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("ship.Send") == 6);
  etcd.del(prefix + "a");
  BOOST_REQUIRE(next_generation(running, generation + 1) == generation + 2);
  BOOST_TEST(running.attempts("svc.Get") == 0);
  BOOST_TEST(running.attempts("pay.Charge") == 5);
  BOOST_TEST(running.attempts("ship.Send") == 6);
}

BOOST_AUTO_TEST_CASE(a_reload_that_changes_the_key_stops_the_old_watch_while_calls_run) {
  EtcdServer etcd;
  etcd.put("/recourse/a", document(2));
  etcd.put("/recourse/b", document(6));
  const auto watching = [&](std::string_view watched_key) {
    return config("\"" + etcd.endpoint() + "\"", "key = \"" + std::string(watched_key) + "\"");
  };
  Running running(watching("/recourse/a"));
  BOOST_REQUIRE(running.attempts("svc.Get") == 2);

  std::atomic<bool> stop{false};
  std::thread caller([&] {
    while (!stop.load()) running.call("svc.Get");
  });
  for (int round = 0; round < 4; ++round) {
    const std::string_view next = round % 2 == 0 ? "/recourse/b" : "/recourse/a";
    const auto result = running.runtime->apply(watching(next), "rt.toml");
    BOOST_TEST(result.accepted);
    BOOST_TEST(running.attempts("svc.Get") == (round % 2 == 0 ? 6 : 2));
    BOOST_TEST(running.status().target == etcd.endpoint() + " key " + std::string(next));
  }
  stop = true;
  caller.join();
  // The feed in force watches /recourse/a; the one for /recourse/b was stopped.
  const std::uint64_t generation = running.generation();
  etcd.put("/recourse/b", document(7));
  etcd.put("/recourse/a", document(8));
  BOOST_REQUIRE(next_generation(running, generation) == generation + 1);
  BOOST_TEST(running.attempts("svc.Get") == 8);
}

BOOST_AUTO_TEST_CASE(config_errors_name_the_field) {
  const std::string endpoint = "\"http://127.0.0.1:1\"";
  const auto refused = [](const std::string& text, std::string_view fragment) {
    const std::string errors = feed_test::refusal(text);
    BOOST_TEST(errors.find(fragment) != std::string::npos, "expected \"" << fragment << "\" in: " << errors);
  };
  refused(config(endpoint, "key = \"/a\"\nprefix = \"/b/\""), "give key or prefix, not both");
  refused(config(endpoint, ""), "missing field \"key\"");
  refused(config(endpoint, "prefix = \"\""), "prefix: must not be empty");
  refused(config("\"ftp://127.0.0.1:1\"", "key = \"/a\""),
          "expected http:// or https:// URLs, got \"ftp://127.0.0.1:1\"");
  refused(config("", "key = \"/a\""), "give at least one etcd client URL");
  refused(config(endpoint, "key = \"/a\"", "endpiont = \"x\""), "endpiont");
  refused(config(endpoint, "key = \"/a\"", "initial_wait = \"301s\""),
          "initial_wait: must be between 0ms and 300000ms");
  refused(config(endpoint, "key = \"/a\"", "cert_file = \"client.pem\""), "needs both cert_file and key_file");
  refused(config(endpoint, "key = \"/a\"", "", "reconnect_backoff = \"5s\"\nmax_reconnect_backoff = \"1s\"\n"),
          "must not be shorter than reconnect_backoff");
}

BOOST_AUTO_TEST_SUITE_END()
