// recourse.executor:registry — named components of one category (Envoy's registry): a name
// registered twice is an error, and a miss says what was asked for and what exists.
module;
#include <expected>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

export module recourse.executor:registry;

export namespace recourse {

template <class Component>
class ComponentRegistry {
 public:
  explicit ComponentRegistry(std::string_view category = "component") : category_(category) {}

  std::expected<void, std::string> add(std::string name, std::shared_ptr<Component> component) {
    if (!component) return std::unexpected(category_ + " \"" + name + "\" is null");
    auto [it, inserted] = items_.try_emplace(std::move(name), std::move(component));
    if (!inserted) return std::unexpected("a " + category_ + " named \"" + it->first + "\" is already registered");
    return {};
  }

  Component* find(std::string_view name) const noexcept {
    const auto it = items_.find(name);
    return it == items_.end() ? nullptr : it->second.get();
  }

  std::vector<std::string_view> names() const {
    std::vector<std::string_view> names;
    for (const auto& [name, component] : items_) names.push_back(name);
    return names;
  }

  // "no classifier named "htp"; known: always, http, never"
  std::string missing(std::string_view name) const {
    std::string text = "no " + category_ + " named \"" + std::string(name) + "\"; known: ";
    bool first = true;
    for (const auto& [known, component] : items_) {
      text.append(first ? "" : ", ").append(known);
      first = false;
    }
    return text;
  }

  std::string_view category() const noexcept { return category_; }

 private:
  std::string category_;
  std::map<std::string, std::shared_ptr<Component>, std::less<>> items_;
};

}  // namespace recourse
