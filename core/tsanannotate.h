// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <type_traits>
#include <utility>

// ThreadSanitizer sees the locks of instrumented code only. Qt is not built with it, so when a
// functor crosses threads through Qt (QThreadPool's task queue, a queued call's posted event),
// what orders its construction on one thread before its call on the other is a lock inside
// libQt6Core that TSan cannot see, and it reports the functor's captures as a race. handOff()
// makes that edge visible: the functor releases its own address once built, and acquires it
// before it runs or is destroyed. Outside a TSan build all of it compiles to nothing.

#if defined(__SANITIZE_THREAD__)
#define STATEWARD_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define STATEWARD_TSAN 1
#endif
#endif

#ifdef STATEWARD_TSAN
extern "C" void __tsan_acquire(void* addr);
extern "C" void __tsan_release(void* addr);
#endif

namespace Stateward::Tsan {

// Everything this thread did before release(addr) happens before what another thread does after
// its acquire(addr).
inline void release([[maybe_unused]] const void* addr)
{
#ifdef STATEWARD_TSAN
    __tsan_release(const_cast<void*>(addr));
#endif
}

inline void acquire([[maybe_unused]] const void* addr)
{
#ifdef STATEWARD_TSAN
    __tsan_acquire(const_cast<void*>(addr));
#endif
}

#ifdef STATEWARD_TSAN
// A functor that carries its own happens-before edge: each copy or move releases the new
// object's address once it is built (after acquiring the source's, which another thread may have
// built); the call and the destructor acquire it first. So whichever thread Qt runs or drops it
// on sees every write that built it, its captures included.
template <typename F> class HandedOff
{
public:
    explicit HandedOff(F f)
        : m_f(std::move(f))
    {
        release(this);
    }
    HandedOff(const HandedOff& other)
        : m_f((acquire(&other), other.m_f))
    {
        release(this);
    }
    HandedOff(HandedOff&& other)
        : m_f((acquire(&other), std::move(other.m_f)))
    {
        release(this);
    }
    HandedOff& operator=(const HandedOff&) = delete;
    HandedOff& operator=(HandedOff&&) = delete;
    ~HandedOff() { acquire(this); }

    decltype(auto) operator()()
    {
        acquire(this);
        return m_f();
    }

private:
    F m_f;
};
#endif

// Wraps a functor about to be handed to another thread through Qt (QThreadPool::start,
// QMetaObject::invokeMethod with Qt::QueuedConnection). Without TSan it is the functor itself.
template <typename F> auto handOff(F&& f)
{
#ifdef STATEWARD_TSAN
    return HandedOff<std::decay_t<F>>(std::forward<F>(f));
#else
    return std::decay_t<F>(std::forward<F>(f));
#endif
}

} // namespace Stateward::Tsan
